import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { type Claims, evaluateRulesets, type RulesetRule, sortScopes } from "../src/evaluate";
import { SCOPES, type Scope } from "../src/schemas/common";
import { referenceMatch } from "./reference";

const SUBS = ["repo:octo-org/api:ref:refs/heads/main", "repo:octo-org/web:pull_request", "repo:other/api:environment:prod"];

const rulesetArb: fc.Arbitrary<RulesetRule> = fc.record({
  label: fc.string({ minLength: 1, maxLength: 4 }),
  subject: fc.constantFrom("repo:octo-org/*", "repo:octo-org/api:*", "repo:*:pull_request", "repo:*", "repo:none/*", ...SUBS),
  conditions: fc.array(
    fc.record({ claim: fc.constantFrom("environment", "ref"), pattern: fc.constantFrom("prod*", "*", "refs/heads/main") }),
    { maxLength: 2 },
  ),
  resources: fc.uniqueArray(fc.constantFrom("octo-org/api", "octo-org/web", "octo-org/base", "octo-org/Zed"), {
    minLength: 1,
    maxLength: 3,
  }),
  scopes: fc.uniqueArray(fc.constantFrom<Scope>(...SCOPES), { minLength: 1, maxLength: 3 }),
});

const claimsArb: fc.Arbitrary<Claims> = fc.record(
  {
    sub: fc.constantFrom(...SUBS),
    environment: fc.constantFrom("prod", "production", "staging"),
    ref: fc.oneof(fc.constantFrom("refs/heads/main", "refs/heads/dev"), fc.constant(7)),
  },
  { requiredKeys: ["sub"] },
);

/** The decision computed the slow way, straight from SPEC §4.2 and §4.3. */
function referenceEvaluate(rulesets: readonly RulesetRule[], claims: Claims) {
  const matching = rulesets.filter(
    (r) =>
      typeof claims.sub === "string" &&
      referenceMatch(r.subject, claims.sub) &&
      (r.conditions ?? []).every((c) => {
        const value = claims[c.claim];
        return typeof value === "string" && referenceMatch(c.pattern, value);
      }),
  );
  const resources = [...new Set(matching.flatMap((r) => r.resources))].sort();
  return {
    matched: matching.map((r) => r.label),
    access: resources.map((resource) => ({
      resource,
      scopes: SCOPES.filter((s) => matching.some((r) => r.resources.includes(resource) && r.scopes.includes(s))),
    })),
  };
}

describe("evaluateRulesets properties", () => {
  const input = fc.tuple(fc.array(rulesetArb, { minLength: 0, maxLength: 5 }), claimsArb);

  test("allowed exactly when some ruleset matched; a match always grants access", () => {
    fc.assert(
      fc.property(input, ([rulesets, claims]) => {
        const result = evaluateRulesets(rulesets, claims);
        expect(result.allowed).toBe(result.matched.length > 0);
        expect(result.allowed).toBe(result.access.length > 0);
      }),
      { numRuns: 500 },
    );
  });

  test("resources sorted and unique; scopes in the order pull, push, delete without duplicates", () => {
    fc.assert(
      fc.property(input, ([rulesets, claims]) => {
        const { access } = evaluateRulesets(rulesets, claims);
        for (let i = 1; i < access.length; i++) expect((access[i - 1]?.resource ?? "") < (access[i]?.resource ?? "")).toBe(true);
        for (const grant of access) {
          expect(grant.scopes.length).toBeGreaterThan(0);
          expect(grant.scopes).toEqual(SCOPES.filter((s) => grant.scopes.includes(s)));
        }
      }),
      { numRuns: 500 },
    );
  });

  test("matched labels and access equal the union computed the slow way", () => {
    fc.assert(
      fc.property(input, ([rulesets, claims]) => {
        const { matched, access } = evaluateRulesets(rulesets, claims);
        expect({ matched, access }).toEqual(referenceEvaluate(rulesets, claims));
      }),
      { numRuns: 500 },
    );
  });

  test("the order of the rulesets changes only the order of matched labels", () => {
    fc.assert(
      fc.property(input, ([rulesets, claims]) => {
        const forward = evaluateRulesets(rulesets, claims);
        const backward = evaluateRulesets([...rulesets].reverse(), claims);
        expect(backward.access).toEqual(forward.access);
        expect(backward.matched).toEqual([...forward.matched].reverse());
      }),
      { numRuns: 300 },
    );
  });
});

describe("evaluateRulesets examples", () => {
  const ruleset = (over: Partial<RulesetRule>): RulesetRule => ({
    label: "r",
    subject: "repo:octo-org/*",
    resources: ["octo-org/api"],
    scopes: ["pull"],
    ...over,
  });

  test("no rulesets: refused", () => {
    expect(evaluateRulesets([], { sub: "repo:octo-org/api:pull_request" })).toEqual({ allowed: false, matched: [], access: [] });
  });

  test("a missing or non-string sub matches nothing, not even `*`", () => {
    expect(evaluateRulesets([ruleset({ subject: "*" })], {}).allowed).toBe(false);
    expect(evaluateRulesets([ruleset({ subject: "*" })], { sub: 42 }).allowed).toBe(false);
  });

  test("a condition on a claim inherited from Object.prototype fails", () => {
    const r = ruleset({ conditions: [{ claim: "toString", pattern: "*" }] });
    expect(evaluateRulesets([r], { sub: "repo:octo-org/api:pull_request" }).allowed).toBe(false);
  });

  test("sortScopes drops duplicates and orders canonically", () => {
    expect(sortScopes(["delete", "pull", "delete", "push"])).toEqual(["pull", "push", "delete"]);
  });
});
