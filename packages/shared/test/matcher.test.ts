import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { matchPattern } from "../src/matcher";
import { ASTRAL, derivePattern, editsArb, referenceMatch } from "./reference";

describe("matchPattern edge cases", () => {
  test.each([
    ["", "", true],
    ["", "a", false],
    ["a", "", false],
    ["*", "", true],
    ["**", "", true],
    ["***", "repo:a/b:ref:refs/heads/main", true],
    ["?", "", false],
    ["*?", "", false],
    ["?*", "x", true],
  ])("empty values and only stars: %j vs %j", (pattern, value, expected) => {
    expect(matchPattern(pattern, value)).toBe(expected);
  });

  test("consecutive stars behave like one", () => {
    expect(matchPattern("repo:org/**:ref:**", "repo:org/api:ref:refs/heads/main")).toBe(true);
    expect(matchPattern("a**b", "ab")).toBe(true);
    expect(matchPattern("a**b", "axxb")).toBe(true);
    expect(matchPattern("a**b", "axxbc")).toBe(false);
  });

  test("`*` crosses `/` and `:`", () => {
    expect(matchPattern("repo:*", "repo:a/b:ref:refs/heads/x")).toBe(true);
    expect(matchPattern("repo:a/*:pull_request", "repo:a/b:c/d:pull_request")).toBe(true);
  });

  test("`?` takes one code point, so a surrogate pair counts once", () => {
    expect(ASTRAL.length).toBe(2);
    expect(matchPattern("?", ASTRAL)).toBe(true);
    expect(matchPattern("??", ASTRAL)).toBe(false);
    expect(matchPattern("a?b", `a${ASTRAL}b`)).toBe(true);
    expect(matchPattern("a??b", `a${ASTRAL}b`)).toBe(false);
    expect(matchPattern("?", `${ASTRAL}${ASTRAL}`)).toBe(false);
    expect(matchPattern("*?", `x${ASTRAL}`)).toBe(true);
    expect(matchPattern(`*${ASTRAL}`, `${ASTRAL}${ASTRAL}`)).toBe(true);
    expect(matchPattern(ASTRAL, "?")).toBe(false);
    expect(matchPattern("?", "é")).toBe(true);
    // "e" followed by a combining accent is two code points.
    expect(matchPattern("?", "e\u0301")).toBe(false);
  });

  test("regular-expression metacharacters are literal", () => {
    for (const special of [".", "+", "^", "$", "(", ")", "[", "]", "{", "}", "|", "\\"]) {
      expect(matchPattern(`a${special}b`, `a${special}b`)).toBe(true);
      expect(matchPattern(`a${special}b`, "axb")).toBe(false);
    }
    expect(matchPattern("a.*", "abc")).toBe(false);
    expect(matchPattern("a.*", "a.bc")).toBe(true);
    expect(matchPattern("[a-z]", "b")).toBe(false);
    expect(matchPattern("x{2}", "xx")).toBe(false);
  });

  test("no escape syntax: a backslash is an ordinary character and does not quote `*`", () => {
    expect(matchPattern("a\\*", "a\\anything")).toBe(true);
    expect(matchPattern("a\\*", "a*")).toBe(false);
  });

  test("case-sensitive", () => {
    expect(matchPattern("repo:Octo-Org/*", "repo:octo-org/api:pull_request")).toBe(false);
    expect(matchPattern("repo:octo-org/API:*", "repo:octo-org/api:x")).toBe(false);
    expect(matchPattern("ß", "SS")).toBe(false);
  });

  test("anchored at both ends", () => {
    expect(matchPattern("org/api", "repo:org/api")).toBe(false);
    expect(matchPattern("repo:org", "repo:org/api")).toBe(false);
    expect(matchPattern("org/*", "repo:org/api")).toBe(false);
    expect(matchPattern("*org/api", "repo:org/api")).toBe(true);
    expect(matchPattern("repo:*", "xrepo:a")).toBe(false);
    expect(matchPattern("*main", "refs/heads/main\n")).toBe(false);
  });
});

describe("matchPattern properties", () => {
  const valueChars = ["a", "b", "/", ":", ASTRAL];
  const patternChars = [...valueChars, "*", "?"];
  const value = fc.string({ unit: fc.constantFrom(...valueChars), maxLength: 12 });
  const pattern = fc.string({ unit: fc.constantFrom(...patternChars), maxLength: 10 });

  test("a pattern made from a value by replacing runs with `*` and characters with `?` matches it", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "b", "/", ":", "-", ASTRAL, "é"), maxLength: 40 }), editsArb, (v, edits) => {
        const p = derivePattern(v, edits);
        expect(referenceMatch(p, v)).toBe(true);
        expect(matchPattern(p, v)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test("agrees with the reference matcher on random patterns and values", () => {
    fc.assert(
      fc.property(pattern, value, (p, v) => {
        expect(matchPattern(p, v)).toBe(referenceMatch(p, v));
      }),
      { numRuns: 3000 },
    );
  });

  test("agrees with the reference matcher when values may contain `*` and `?` too", () => {
    const anyChar = fc.string({ unit: fc.constantFrom(...patternChars), maxLength: 10 });
    fc.assert(
      fc.property(anyChar, anyChar, (p, v) => {
        expect(matchPattern(p, v)).toBe(referenceMatch(p, v));
      }),
      { numRuns: 2000 },
    );
  });

  test("a pattern without wildcards matches only itself", () => {
    const literal = fc.string({ unit: fc.constantFrom(...valueChars), maxLength: 8 });
    fc.assert(
      fc.property(literal, literal, (p, v) => {
        expect(matchPattern(p, v)).toBe(p === v);
      }),
    );
  });
});

describe("matchPattern on adversarial input (no timing assertions)", () => {
  const long = "a".repeat(10_000);

  test("many stars and a missing final literal", () => {
    expect(matchPattern("*a*a*a*a*a*a*a*a*b", long)).toBe(false);
    expect(matchPattern("*a*a*a*a*a*a*a*a*a", long)).toBe(true);
    expect(matchPattern(`${"*a".repeat(100)}*b`, long)).toBe(false);
  });

  test("long patterns against long values", () => {
    expect(matchPattern(`${"a*".repeat(128)}b`, long)).toBe(false);
    expect(matchPattern(`${"?".repeat(10_000)}`, long)).toBe(true);
    expect(matchPattern(`${"?".repeat(9_999)}`, long)).toBe(false);
    expect(matchPattern(`*${"a".repeat(255)}b`, long)).toBe(false);
  });
});

describe("schemas refuse what the matcher cannot treat as text", () => {
  test("refuses lone surrogates in subject and condition patterns", async () => {
    const { SubjectPatternSchema, ConditionSchema } = await import("../src/index");
    expect(SubjectPatternSchema.safeParse("repo:octo-org/\uD83D*").success).toBe(false);
    expect(SubjectPatternSchema.safeParse("repo:octo-org/😀*").success).toBe(true);
    expect(ConditionSchema.safeParse({ claim: "environment", pattern: "prod\uDE00" }).success).toBe(false);
  });
});
