/**
 * Matcher throughput (SPEC §4.1, §4.2). Run: `cd apps/server && npx tsx bench/matcher.ts`.
 * Prints figures; asserts only that the adversarial cases stay far from backtracking territory.
 *
 *  1. matchPattern on realistic GitHub subjects: 5 rulesets' subject patterns × a mix of subjects
 *     (name-only and immutable `owner@id/repo@id` forms, branches, tags, environments, PRs).
 *  2. 10,000-character adversarial values (`*a*a*…*b` on 'a'×10000, `repo:*:*:*…` variants).
 *  3. evaluateRulesets on a 5-ruleset connection with conditions, per token's claims.
 */
import { evaluateRulesets, matchPattern, type RulesetRule } from "@oidc/shared";

const PATTERNS = [
  "repo:octo-org/api:ref:refs/heads/main",
  "repo:octo-org@1234567/*:environment:production",
  "repo:octo-org/*:ref:refs/tags/v*",
  "repo:*:ref:refs/heads/release-*",
  "repo:octo-org@1234567/api@987654:pull_request",
];

const SUBJECTS = [
  "repo:octo-org/api:ref:refs/heads/main",
  "repo:octo-org/api:ref:refs/heads/feature/make-the-build-faster-please",
  "repo:octo-org@1234567/api@987654:ref:refs/heads/main",
  "repo:octo-org@1234567/web@555123:environment:production",
  "repo:octo-org/web:environment:staging",
  "repo:octo-org/worker:ref:refs/tags/v1.24.3",
  "repo:someone-else/fork-of-api:ref:refs/heads/release-2026.11",
  "repo:octo-org@1234567/api@987654:pull_request",
  "repo:octo-org/base-images:ref:refs/heads/renovate/node-20.x",
  "repo:octo-org@1234567/docs@4455667:ref:refs/tags/v2.0.0-rc.1",
];

const RULESETS: RulesetRule[] = [
  { label: "main", subject: PATTERNS[0]!, resources: ["octo-org/api"], scopes: ["pull", "push"] },
  {
    label: "prod",
    subject: PATTERNS[1]!,
    conditions: [
      { claim: "repository_owner_id", pattern: "1234567" },
      { claim: "job_workflow_ref", pattern: "octo-org/workflows/.github/workflows/deploy.yml@refs/heads/main" },
    ],
    resources: ["octo-org/api", "octo-org/web", "octo-org/worker"],
    scopes: ["pull", "push"],
  },
  {
    label: "tags",
    subject: PATTERNS[2]!,
    conditions: [{ claim: "ref_protected", pattern: "true" }],
    resources: ["octo-org/api"],
    scopes: ["pull"],
  },
  {
    label: "release",
    subject: PATTERNS[3]!,
    conditions: [{ claim: "repository_owner", pattern: "octo-org" }],
    resources: ["octo-org/api"],
    scopes: ["pull"],
  },
  { label: "pr", subject: PATTERNS[4]!, resources: ["octo-org/api"], scopes: ["pull"] },
];

function claimsFor(sub: string): Record<string, unknown> {
  const repo = /^repo:([^:]+)/.exec(sub)?.[1]?.replace(/@\d+/g, "") ?? "";
  return {
    sub,
    repository: repo,
    repository_owner: repo.split("/")[0],
    repository_owner_id: sub.includes("@1234567") ? "1234567" : "7654321",
    ref: "refs/heads/main",
    ref_protected: "true",
    environment: "production",
    job_workflow_ref: "octo-org/workflows/.github/workflows/deploy.yml@refs/heads/main",
    event_name: "push",
  };
}

let sink = 0;

/** Runs `body` (which does `perCall` operations) for about `ms`; returns ops/s and µs per op. */
function measure(body: () => void, perCall: number, ms: number) {
  for (let i = 0; i < 200; i++) body(); // warm-up
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 50; i++) body();
    calls += 50;
    now = performance.now();
  }
  const ops = calls * perCall;
  const seconds = (now - start) / 1000;
  return { perSecond: ops / seconds, usPerOp: (seconds * 1e6) / ops };
}

function timeOne(pattern: string, value: string, runs: number) {
  matchPattern(pattern, value);
  const samples: number[] = [];
  let result = false;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = matchPattern(pattern, value);
    samples.push((performance.now() - t0) * 1000);
  }
  samples.sort((a, b) => a - b);
  return { result, medianUs: samples[Math.floor(runs / 2)]!, p99Us: samples[Math.floor(runs * 0.99)]!, maxUs: samples[runs - 1]! };
}

const fmt = (n: number, digits = 2) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

console.log(`node ${process.version}, ${process.platform}/${process.arch}`);

// 1. realistic subjects
const realistic = measure(
  () => {
    for (const s of SUBJECTS) for (const p of PATTERNS) if (matchPattern(p, s)) sink++;
  },
  SUBJECTS.length * PATTERNS.length,
  3000,
);
const avgLen = SUBJECTS.reduce((n, s) => n + s.length, 0) / SUBJECTS.length;
console.log("\nmatchPattern, realistic subjects (5 patterns × 10 subjects, avg %d chars):", Math.round(avgLen));
console.log(`  ${fmt(realistic.perSecond / 1e6)} M matches/s, ${fmt(realistic.usPerOp, 3)} µs per match`);
const matrix = SUBJECTS.map((s) => PATTERNS.map((p) => (matchPattern(p, s) ? "x" : ".")).join("")).join(" ");
console.log(`  match matrix (subject rows, pattern columns): ${matrix}`);

// 2. adversarial
const a10k = "a".repeat(10_000);
const colons10k = `repo:${"x:".repeat(4997)}y`;
const ADVERSARIAL: [string, string, string][] = [
  ["*a*a*a*a*a*a*a*a*b", a10k, "'a' × 10000"],
  ["*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", a10k, "'a' × 10000"],
  [`${"*a".repeat(120)}*b`, a10k, "'a' × 10000 (121 stars)"],
  ["repo:*:*:*:*:*:*:*:*:*:*:*:*:z", colons10k, "'repo:' + 'x:' × 4997 + 'y'"],
  [`repo:${"*:".repeat(60)}z`, colons10k, "'repo:' + 'x:' × 4997 + 'y'"],
  [
    "repo:*/*:ref:refs/heads/*:*:*:*:*:*:*:b",
    `repo:${"a/".repeat(2500)}:ref:refs/heads/${"a:".repeat(2470)}`,
    "10,000 chars of '/' and ':'",
  ],
  ["?".repeat(256), a10k, "'a' × 10000"],
];
console.log("\nmatchPattern, adversarial 10,000-character values (200 runs each; max includes GC pauses):");
console.log("  pattern (first 40 chars)                  value                          result   median µs    p99 µs     max µs");
let worst = 0;
for (const [pattern, value, label] of ADVERSARIAL) {
  const r = timeOne(pattern, value, 200);
  worst = Math.max(worst, r.medianUs);
  console.log(
    `  ${pattern.slice(0, 40).padEnd(42)}${label.padEnd(31)}${String(r.result).padEnd(8)}${fmt(r.medianUs).padStart(10)}${fmt(r.p99Us).padStart(10)}${fmt(r.maxUs).padStart(11)}`,
  );
}

// 3. evaluateRulesets
const claimSets = SUBJECTS.map(claimsFor);
const evaluation = measure(
  () => {
    for (const claims of claimSets) if (evaluateRulesets(RULESETS, claims).allowed) sink++;
  },
  claimSets.length,
  3000,
);
const allowed = claimSets.filter((c) => evaluateRulesets(RULESETS, c).allowed).length;
console.log(`\nevaluateRulesets, 5 rulesets (3 with conditions) × 10 claim sets (${allowed} allowed):`);
console.log(`  ${fmt(evaluation.perSecond / 1e3, 1)} k evaluations/s, ${fmt(evaluation.usPerOp, 3)} µs per evaluation`);

if (sink < 0) console.log(sink);
console.log(`\nworst adversarial median: ${fmt(worst)} µs (SPEC §4.1: well under 1 ms)`);
if (worst >= 1000) {
  console.error("FAIL: an adversarial value took a millisecond or more");
  process.exit(1);
}
