import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConnectionCreateSchema, ConnectionPatchSchema, describeCharacter, RulesetInputSchema, textProblem } from "../src";

const ruleset = { label: "main", subject: "repo:octo-org/api:ref:refs/heads/main", resources: ["octo-org/api"], scopes: ["pull"] };
const create = (overrides: Record<string, unknown>) =>
  ConnectionCreateSchema.safeParse({ name: "Deploy", type: "github-actions", rulesets: [ruleset], ...overrides });
const messages = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  (result.error?.issues ?? []).map((i) => `${i.path.join(".")}: ${i.message}`);

describe("the text rule (SPEC §13 Hostile text)", () => {
  it("names the character it refuses", () => {
    expect(describeCharacter(0x200b)).toBe("U+200B ZERO WIDTH SPACE");
    expect(describeCharacter(0x0000)).toBe("U+0000 NULL");
    expect(describeCharacter(0x202e)).toBe("U+202E RIGHT-TO-LEFT OVERRIDE");
    expect(describeCharacter(0x009b)).toBe("U+009B CONTROL SEQUENCE INTRODUCER");
    expect(describeCharacter(0xe0067)).toBe("U+E0067 TAG LATIN SMALL LETTER G");
    expect(describeCharacter(0xe007f)).toBe("U+E007F CANCEL TAG");
    expect(textProblem("a\u200bb")).toBe(
      "Remove U+200B ZERO WIDTH SPACE at character 2: an invisible formatting character is not allowed here",
    );
    expect(textProblem("😀\u0000")).toMatch(/^Remove U\+0000 NULL at character 2: a control character/);
    expect(textProblem("x\ud800")).toMatch(/lone surrogate at character 2/);
  });

  it("has a name for every Cc and Cf character", () => {
    for (let cp = 0; cp < 0x110000; cp++) {
      const char = String.fromCodePoint(cp);
      if (/[\p{Cc}\p{Cf}]/u.test(char)) {
        expect(describeCharacter(cp)).toMatch(/^U\+[0-9A-F]{4,5} [A-Z][A-Z0-9 -]+$/);
        expect(textProblem(`a${char}`)).toContain(describeCharacter(cp));
      }
    }
  });

  it("accepts any text without Cc or Cf, in any script; allows line feeds only where asked", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        expect(textProblem(s) === undefined).toBe(!/[\p{Cc}\p{Cf}]/u.test(s));
      }),
    );
    expect(textProblem("Zürich – 東京 – مرحبا")).toBeUndefined();
    expect(textProblem("two\nlines")).toMatch(/U\+000A LINE FEED/);
    expect(textProblem("two\nlines", { multiline: true })).toBeUndefined();
    expect(textProblem("tab\there", { multiline: true })).toMatch(/U\+0009 CHARACTER TABULATION/);
  });

  it("applies to every admin text field, at the field's path", () => {
    const zwsp = "\u200b";
    expect(messages(create({ name: `Dep${zwsp}loy` }))).toEqual([
      "name: Remove U+200B ZERO WIDTH SPACE at character 4: an invisible formatting character is not allowed here",
    ]);
    expect(messages(create({ description: "a\u0000b" }))[0]).toMatch(/^description: Remove U\+0000 NULL/);
    expect(messages(create({ rulesets: [{ ...ruleset, label: `ma\u202ein` }] }))[0]).toMatch(
      /^rulesets\.0\.label: Remove U\+202E RIGHT-TO-LEFT OVERRIDE/,
    );
    expect(messages(create({ rulesets: [{ ...ruleset, subject: `repo:octo-org/api${zwsp}:ref:refs/heads/main` }] }))).toEqual([
      "rulesets.0.subject: Remove U+200B ZERO WIDTH SPACE at character 18: an invisible formatting character is not allowed here",
    ]);
    expect(messages(create({ rulesets: [{ ...ruleset, conditions: [{ claim: "ref", pattern: "refs/heads/\u2066main" }] }] }))[0]).toMatch(
      /^rulesets\.0\.conditions\.0\.pattern: Remove U\+2066 LEFT-TO-RIGHT ISOLATE/,
    );
    expect(messages(ConnectionPatchSchema.safeParse({ name: "a\u0007" }))[0]).toMatch(/^name: Remove U\+0007 ALERT/);
    expect(messages(create({ rulesets: [{ ...ruleset, subject: "repo:octo-org/api ref" }] }))).toEqual(["rulesets.0.subject: No spaces"]);
    expect(messages(create({ rulesets: [{ ...ruleset, subject: "repo:octo-org/api\tref" }] }))).toEqual([
      "rulesets.0.subject: Remove U+0009 CHARACTER TABULATION at character 18: a control character is not allowed here",
    ]);
  });

  it("stores names, labels and descriptions in NFC; descriptions keep line breaks", () => {
    const decomposed = "Cafe\u0301";
    const parsed = ConnectionCreateSchema.parse({
      name: decomposed,
      description: "line one\r\nline two\rthree",
      type: "github-actions",
      rulesets: [{ ...ruleset, label: decomposed }],
    });
    expect(parsed.name).toBe("Caf\u00e9");
    expect(parsed.rulesets[0]?.label).toBe("Caf\u00e9");
    expect(parsed.description).toBe("line one\nline two\nthree");
    // Two labels that look the same are the same label.
    const twice = create({ rulesets: [ruleset, { ...RulesetInputSchema.parse(ruleset), label: "MAI\u004e" }] });
    expect(messages(twice)).toEqual(["rulesets.1.label: Another ruleset already has this label"]);
    const lookalike = create({
      rulesets: [
        { ...ruleset, label: "Caf\u00e9" },
        { ...ruleset, label: decomposed },
      ],
    });
    expect(messages(lookalike)).toEqual(["rulesets.1.label: Another ruleset already has this label"]);
  });
});
