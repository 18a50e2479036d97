import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decideExchange } from "../src/decide";
import { type Claims, evaluateRulesets, type RulesetRule } from "../src/evaluate";
import { lintRulesets } from "../src/lints";
import { checkPolicy, DEFAULT_POLICY, subjectPinsGate } from "../src/policy";
import { SCOPES, type Scope } from "../src/schemas/common";

const NOW = Date.parse("2026-11-22T12:00:00Z");
const DAY = 24 * 3600 * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

const SUBS = ["repo:octo-org/api:ref:refs/heads/main", "repo:octo-org/web:pull_request", "repo:octo-org@42/api@7:environment:prod"];

const rulesetArb: fc.Arbitrary<RulesetRule> = fc.record({
  label: fc.string({ minLength: 1, maxLength: 4 }),
  subject: fc.constantFrom("repo:octo-org/*", "repo:octo-org/api:*", "repo:*:pull_request", "repo:octo-org@42/*", ...SUBS),
  conditions: fc.array(fc.record({ claim: fc.constantFrom("environment", "ref"), pattern: fc.constantFrom("prod*", "*") }), {
    maxLength: 2,
  }),
  resources: fc.uniqueArray(fc.constantFrom("octo-org/api", "octo-org/web"), { minLength: 1, maxLength: 2 }),
  scopes: fc.uniqueArray(fc.constantFrom<Scope>(...SCOPES), { minLength: 1, maxLength: 3 }),
  mode: fc.constantFrom("enforce" as const, "audit" as const, undefined),
  expiresAt: fc.option(
    fc.integer({ min: -3, max: 3 }).map((d) => iso(NOW + d * DAY + 1)),
    { nil: null },
  ),
});
const claimsArb: fc.Arbitrary<Claims> = fc.record({ sub: fc.constantFrom(...SUBS), environment: fc.constantFrom("prod", "dev") });

const base: RulesetRule = {
  label: "main",
  subject: "repo:octo-org/api:ref:refs/heads/main",
  resources: ["octo-org/api"],
  scopes: ["pull"],
};
const claims = { sub: "repo:octo-org/api:ref:refs/heads/main" };

describe("audit mode and expiry in the evaluation (SPEC §11)", () => {
  test("an audit ruleset never grants but is reported", () => {
    const e = evaluateRulesets([{ ...base, mode: "audit" }], claims, NOW);
    expect(e).toEqual({ allowed: false, matched: [], access: [], audit: ["main"] });
  });

  test("an expired ruleset matches nothing, exactly from its expiresAt on", () => {
    const at = NOW + 1000;
    const r = { ...base, expiresAt: iso(at) };
    expect(evaluateRulesets([r], claims, at - 1).allowed).toBe(true);
    expect(evaluateRulesets([r], claims, at)).toMatchObject({ allowed: false, matched: [], expired: ["main"] });
  });

  test("refused only because the ruleset expired: its own reason; otherwise the closest live ruleset", () => {
    const expired = { ...base, expiresAt: iso(NOW - 1) };
    const d = decideExchange({ status: "active", rulesets: [expired] }, claims, NOW);
    expect(d.reason).toBe("ruleset_expired");
    const other = { ...base, label: "dev", subject: "repo:octo-org/api:ref:refs/heads/dev" };
    const d2 = decideExchange({ status: "active", rulesets: [other] }, claims, NOW);
    expect(d2.reason).toBe("no_matching_ruleset");
    expect(d2.diagnosis?.label).toBe("dev");
    // An expired audit ruleset is no grant that expired.
    expect(decideExchange({ status: "active", rulesets: [{ ...expired, mode: "audit" }] }, claims, NOW).reason).toBe("no_matching_ruleset");
  });

  test("property: the grant equals that of the live enforce rulesets alone; audit lists live audit matches", () => {
    fc.assert(
      fc.property(fc.array(rulesetArb, { maxLength: 5 }), claimsArb, (rulesets, c) => {
        const all = evaluateRulesets(rulesets, c, NOW);
        const live = rulesets.filter((r) => r.mode !== "audit" && !(r.expiresAt && Date.parse(r.expiresAt) <= NOW));
        const plain = evaluateRulesets(
          live.map(({ mode: _m, expiresAt: _e, ...r }) => r),
          c,
          NOW,
        );
        expect(all.allowed).toBe(plain.allowed);
        expect(all.access).toEqual(plain.access);
        expect(all.matched).toEqual(plain.matched);
        for (const label of all.audit ?? []) expect(rulesets.some((r) => r.label === label && r.mode === "audit")).toBe(true);
        // Moving the clock past every expiry never grants more.
        const later = evaluateRulesets(rulesets, c, NOW + 10 * DAY);
        for (const g of later.access) expect(all.access.map((a) => a.resource)).toContain(g.resource);
      }),
    );
  });
});

describe("expiry lints", () => {
  test("within 7 days, and expired", () => {
    const soon = lintRulesets([{ ...base, expiresAt: iso(NOW + 3 * DAY) }], {}, NOW)[0] ?? [];
    expect(soon.map((w) => w.code)).toContain("expires_soon");
    expect(soon.find((w) => w.code === "expires_soon")?.message).toContain("in 3 days");
    expect((lintRulesets([{ ...base, expiresAt: iso(NOW + 8 * DAY) }], {}, NOW)[0] ?? []).map((w) => w.code)).not.toContain("expires_soon");
    expect((lintRulesets([{ ...base, expiresAt: iso(NOW - 1) }], {}, NOW)[0] ?? []).map((w) => w.code)).toContain("expired");
    // Without a time, no expiry lint (the result stays a pure function of its inputs).
    expect((lintRulesets([{ ...base, expiresAt: iso(NOW - 1) }])[0] ?? []).map((w) => w.code)).not.toContain("expired");
  });
});

const ALL = { requireImmutableSubjects: true, requireGateForWrites: true, forbidPullRequestWrites: true };
const settings = (r: RulesetRule, p = ALL) => checkPolicy(p, [r]).map((v) => v.setting);

describe("organisation policy checks (SPEC §11)", () => {
  test("defaults judge nothing", () => {
    expect(checkPolicy(DEFAULT_POLICY, [{ ...base, subject: "repo:*", scopes: ["push"] }])).toEqual([]);
  });

  test("requireImmutableSubjects: owner@id or a repository_owner_id condition", () => {
    expect(settings(base)).toEqual(["requireImmutableSubjects"]);
    expect(settings({ ...base, subject: "repo:octo-org@42/api@*:ref:refs/heads/main" })).toEqual([]);
    expect(settings({ ...base, conditions: [{ claim: "repository_owner_id", pattern: "42" }] })).toEqual([]);
    expect(settings({ ...base, conditions: [{ claim: "repository_owner_id", pattern: "*" }] })).toEqual(["requireImmutableSubjects"]);
    const [v] = checkPolicy(ALL, [base], { ownerId: "42" });
    expect(v?.path).toEqual(["rulesets", 0, "subject"]);
    expect(v?.message).toContain("repo:octo-org@42/api@*:ref:refs/heads/main");
  });

  test("requireGateForWrites: push or delete pins a ref, environment or job_workflow_ref", () => {
    const imm = "repo:octo-org@42/api@*";
    const push = { ...base, scopes: ["pull", "push"] as Scope[] };
    expect(settings({ ...push, subject: `${imm}:ref:refs/heads/main` })).toEqual([]);
    expect(settings({ ...push, subject: `${imm}:environment:production` })).toEqual([]);
    expect(settings({ ...push, subject: `${imm}:ref:refs/heads/*` })).toEqual(["requireGateForWrites"]);
    expect(settings({ ...push, subject: `${imm}:*` })).toEqual(["requireGateForWrites", "forbidPullRequestWrites"]);
    expect(settings({ ...push, subject: `${imm}:*`, conditions: [{ claim: "environment", pattern: "production" }] })).toEqual([]);
    expect(
      settings({
        ...push,
        subject: "repo:octo-org@42/*",
        conditions: [{ claim: "job_workflow_ref", pattern: "octo-org/ci/.github/workflows/release.yml@refs/heads/main" }],
      }),
    ).toEqual(["forbidPullRequestWrites"]);
    // Pull only: no gate needed.
    expect(settings({ ...base, subject: `${imm}:*` })).toEqual([]);
  });

  test("forbidPullRequestWrites and audit rulesets", () => {
    const pr = { ...base, subject: "repo:octo-org@42/api@*:pull_request", scopes: ["pull", "push"] as Scope[] };
    expect(settings(pr, { ...DEFAULT_POLICY, forbidPullRequestWrites: true })).toEqual(["forbidPullRequestWrites"]);
    expect(settings({ ...pr, mode: "audit" })).toEqual([]);
  });

  test("property: a subject pinning a literal ref never needs a gate, one ending in * after the repository always does", () => {
    const name = fc.stringMatching(/^[a-z0-9-]{1,8}$/);
    fc.assert(
      fc.property(name, name, (repo, branch) => {
        expect(subjectPinsGate(`repo:octo-org/${repo}:ref:refs/heads/${branch}`)).toBe(true);
        expect(subjectPinsGate(`repo:octo-org/${repo}:*`)).toBe(false);
        expect(subjectPinsGate(`repo:octo-org/${repo}:ref:refs/heads/${branch}*`)).toBe(false);
      }),
    );
  });

  test("property: the policy only ever adds violations as settings are switched on", () => {
    const bool = fc.boolean();
    fc.assert(
      fc.property(fc.array(rulesetArb, { maxLength: 5 }), bool, bool, bool, (rulesets, a, b, c) => {
        const some = checkPolicy({ requireImmutableSubjects: a, requireGateForWrites: b, forbidPullRequestWrites: c }, rulesets);
        const all = checkPolicy(ALL, rulesets);
        for (const v of some) expect(all).toContainEqual(v);
        for (const v of all) expect(rulesets[v.path[1] as number]?.mode).not.toBe("audit");
      }),
    );
  });
});
