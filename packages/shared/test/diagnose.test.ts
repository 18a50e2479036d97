import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { diagnoseNoMatch } from "../src/diagnose";
import { evaluateRulesets, type RulesetRule } from "../src/evaluate";
import { matchPattern } from "../src/matcher";

function ruleset(label: string, subject: string, conditions: RulesetRule["conditions"] = []): RulesetRule {
  return { label, subject, conditions, resources: ["octo-org/api"], scopes: ["pull"] };
}

const MAIN = "repo:octo-org/api:ref:refs/heads/main";

describe("diagnoseNoMatch", () => {
  test("null when there are no rulesets", () => {
    expect(diagnoseNoMatch([], { sub: MAIN })).toBeNull();
  });

  test("null when some ruleset matches", () => {
    expect(diagnoseNoMatch([ruleset("a", "repo:other/*"), ruleset("b", "repo:octo-org/*")], { sub: MAIN })).toBeNull();
  });

  test("the subject diverged: shows how far the sub followed the closest pattern", () => {
    const rulesets = [
      ruleset("other-org", "repo:other-org/api:ref:refs/heads/main"),
      ruleset("release", "repo:octo-org/api:ref:refs/heads/release-*"),
      ruleset("tags", "repo:octo-org/api:ref:refs/tags/*"),
    ];
    expect(diagnoseNoMatch(rulesets, { sub: MAIN })).toEqual({
      label: "release",
      failed: {
        kind: "subject",
        pattern: "repo:octo-org/api:ref:refs/heads/release-*",
        matchedPrefix: "repo:octo-org/api:ref:refs/heads/",
      },
    });
  });

  test("ties go to the earlier ruleset", () => {
    const rulesets = [ruleset("first", "repo:octo-org/web:*"), ruleset("second", "repo:octo-org/www:*")];
    expect(diagnoseNoMatch(rulesets, { sub: MAIN })).toEqual({
      label: "first",
      failed: { kind: "subject", pattern: "repo:octo-org/web:*", matchedPrefix: "repo:octo-org/" },
    });
  });

  test("the literal prefix stops at the first `*`; `?` follows one code point", () => {
    expect(diagnoseNoMatch([ruleset("a", "repo:octo-org/*:environment:prod")], { sub: MAIN })?.failed).toEqual({
      kind: "subject",
      pattern: "repo:octo-org/*:environment:prod",
      matchedPrefix: "repo:octo-org/",
    });
    expect(diagnoseNoMatch([ruleset("a", "repo:?/x:*")], { sub: "repo:😀/y:pull_request" })?.failed).toEqual({
      kind: "subject",
      pattern: "repo:?/x:*",
      matchedPrefix: "repo:😀/",
    });
  });

  test("a sub that is a prefix of the pattern: the whole sub matched, then it ended", () => {
    expect(diagnoseNoMatch([ruleset("a", `${MAIN}-2`)], { sub: MAIN })?.failed).toEqual({
      kind: "subject",
      pattern: `${MAIN}-2`,
      matchedPrefix: MAIN,
    });
  });

  test("missing or non-string sub: every subject fails with nothing matched", () => {
    for (const claims of [{}, { sub: 7 }]) {
      expect(diagnoseNoMatch([ruleset("a", "repo:octo-org/*"), ruleset("b", "*")], claims)).toEqual({
        label: "a",
        failed: { kind: "subject", pattern: "repo:octo-org/*", matchedPrefix: "" },
      });
    }
  });

  test("a ruleset whose subject matches beats a closer-looking subject; the first failing condition is reported", () => {
    const rulesets = [
      ruleset("almost", `${MAIN}x`),
      ruleset("prod", "repo:octo-org/*", [
        { claim: "ref", pattern: "refs/heads/*" },
        { claim: "environment", pattern: "prod*" },
        { claim: "repository_visibility", pattern: "private" },
      ]),
    ];
    expect(
      diagnoseNoMatch(rulesets, { sub: MAIN, ref: "refs/heads/main", environment: "staging", repository_visibility: "public" }),
    ).toEqual({
      label: "prod",
      failed: { kind: "condition", claim: "environment", pattern: "prod*", value: "staging" },
    });
  });

  test("missing and non-string claims are reported with value null", () => {
    const rulesets = [ruleset("id", "repo:octo-org/*", [{ claim: "repository_owner_id", pattern: "123" }])];
    expect(diagnoseNoMatch(rulesets, { sub: MAIN })?.failed).toEqual({
      kind: "condition",
      claim: "repository_owner_id",
      pattern: "123",
      value: null,
    });
    expect(diagnoseNoMatch(rulesets, { sub: MAIN, repository_owner_id: 123 })?.failed).toEqual({
      kind: "condition",
      claim: "repository_owner_id",
      pattern: "123",
      value: null,
    });
  });

  test("among rulesets whose subject matches, the fewest failing conditions wins, then the earlier one", () => {
    const rulesets = [
      ruleset("two", "repo:octo-org/*", [
        { claim: "environment", pattern: "prod" },
        { claim: "ref", pattern: "refs/tags/*" },
      ]),
      ruleset("one", "repo:octo-org/*", [{ claim: "ref", pattern: "refs/tags/*" }]),
      ruleset("one-later", "repo:octo-org/*", [{ claim: "actor", pattern: "octocat" }]),
    ];
    expect(diagnoseNoMatch(rulesets, { sub: MAIN, ref: "refs/heads/main", actor: "mona" })).toEqual({
      label: "one",
      failed: { kind: "condition", claim: "ref", pattern: "refs/tags/*", value: "refs/heads/main" },
    });
  });

  test("refused exactly when evaluateRulesets refuses; the reported failure really fails", () => {
    const subjects = [
      "repo:octo-org/*",
      "repo:octo-org/api:ref:refs/heads/*",
      "repo:*:pull_request",
      "repo:other/x:*",
      "repo:octo-org/api?*",
    ];
    const rulesetArb = fc.record({
      label: fc.constantFrom("a", "b", "c"),
      subject: fc.constantFrom(...subjects),
      conditions: fc.array(fc.record({ claim: fc.constantFrom("environment", "ref"), pattern: fc.constantFrom("prod", "refs/heads/*") }), {
        maxLength: 2,
      }),
      resources: fc.constant(["octo-org/api"]),
      scopes: fc.constant(["pull" as const]),
    });
    const claimsArb = fc.record(
      {
        sub: fc.constantFrom(MAIN, "repo:octo-org/api:pull_request", "repo:octo-org/web:environment:prod"),
        environment: fc.constantFrom("prod", "dev"),
        ref: fc.constantFrom("refs/heads/main", "refs/pull/1/merge"),
      },
      { requiredKeys: ["sub"] },
    );
    fc.assert(
      fc.property(fc.array(rulesetArb, { maxLength: 5 }), claimsArb, (rulesets, claims) => {
        const diagnosis = diagnoseNoMatch(rulesets, claims);
        expect(diagnosis === null).toBe(rulesets.length === 0 || evaluateRulesets(rulesets, claims).allowed);
        if (diagnosis === null) return;
        expect(rulesets.map((r) => r.label)).toContain(diagnosis.label);
        const { failed } = diagnosis;
        if (failed.kind === "subject") {
          expect(matchPattern(failed.pattern, claims.sub)).toBe(false);
          expect(claims.sub.startsWith(failed.matchedPrefix)).toBe(true);
        } else {
          expect(failed.value !== null && matchPattern(failed.pattern, failed.value)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});
