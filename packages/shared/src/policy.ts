import { z } from "zod";
import type { RulesetRule } from "./evaluate";
import { immutableSubject, matchesPullRequestJobs, subjectPinsOwnerId } from "./lints";
import { TimestampSchema } from "./schemas/common";
import { MAX_TOKEN_TTL, MIN_TOKEN_TTL, type PolicyViolation, PolicyViolationSchema, UserRefSchema } from "./schemas/connections";

/**
 * Organisation policy (SPEC §11): guard rails every connection of the org must respect. The checks
 * are pure: the server enforces them on create and edit (400 `policy_violation`), flags connections
 * saved before a policy changed, and the console runs the same checks at the field and on the
 * Policy page's preview.
 */
export const OrgPolicySettingsSchema = z.strictObject({
  /** Every subject uses the `owner@id` form, or the ruleset has a `repository_owner_id` condition. */
  requireImmutableSubjects: z.boolean(),
  /** A ruleset granting `push` or `delete` pins a ref, an environment or a `job_workflow_ref`. */
  requireGateForWrites: z.boolean(),
  /** A ruleset granting `push` or `delete` cannot match a `pull_request` subject. */
  forbidPullRequestWrites: z.boolean(),
  /** Caps every connection's access tokens at exchange time. */
  maxTokenTtlSeconds: z
    .number()
    .int("Whole seconds")
    .min(MIN_TOKEN_TTL, `At least ${MIN_TOKEN_TTL} seconds`)
    .max(MAX_TOKEN_TTL, `At most ${MAX_TOKEN_TTL} seconds`),
});
export type OrgPolicySettings = z.infer<typeof OrgPolicySettingsSchema>;

/** `GET /api/orgs/:org/policy`: the settings, their version (the ETag) and who changed them last. */
export const OrgPolicySchema = OrgPolicySettingsSchema.extend({
  /** 0 until the policy is first saved (all defaults). */
  version: z.number().int(),
  updatedAt: TimestampSchema.nullable(),
  updatedBy: UserRefSchema,
});
export type OrgPolicy = z.infer<typeof OrgPolicySchema>;

/** `POST /api/orgs/:org/policy/dry-run`: what these settings would flag, before they are saved. */
export const PolicyDryRunSchema = z.object({
  /** Connections that would break the settings, with where. */
  flagged: z.array(z.object({ id: z.string(), name: z.string(), violations: z.array(PolicyViolationSchema) })),
  /** Connections whose own token lifetime is above the settings' cap: their tokens would be capped. */
  capped: z.array(z.object({ id: z.string(), name: z.string(), maxTokenTtlSeconds: z.number().int() })),
});
export type PolicyDryRun = z.infer<typeof PolicyDryRunSchema>;

export const DEFAULT_POLICY: OrgPolicySettings = {
  requireImmutableSubjects: false,
  requireGateForWrites: false,
  forbidPullRequestWrites: false,
  maxTokenTtlSeconds: MAX_TOKEN_TTL,
};

/** The settings that judge rulesets (the TTL cap applies at exchange time instead). */
export const POLICY_RULES = ["requireImmutableSubjects", "requireGateForWrites", "forbidPullRequestWrites"] as const;
export type PolicyRule = (typeof POLICY_RULES)[number];

/** Claims whose literal condition pins what `requireGateForWrites` asks for. */
const GATE_CLAIMS = ["ref", "environment", "job_workflow_ref"] as const;
const hasWildcard = (s: string) => s.includes("*") || s.includes("?");

const writes = (r: RulesetRule) => r.scopes.includes("push") || r.scopes.includes("delete");
/** Audit rulesets grant nothing, so the policy does not judge them until they are switched to enforce. */
const judged = (r: RulesetRule) => r.mode !== "audit";

/**
 * The subject pattern names a ref, environment or job workflow literally: it has `:ref:`,
 * `:environment:` or `:job_workflow_ref:` followed by a value without wildcards, up to the next `:`
 * or the end (GitHub refs and workflow refs hold no `:`).
 */
export function subjectPinsGate(subject: string): boolean {
  for (const key of GATE_CLAIMS) {
    const marker = `:${key}:`;
    for (let at = subject.indexOf(marker); at >= 0; at = subject.indexOf(marker, at + 1)) {
      const start = at + marker.length;
      const end = subject.indexOf(":", start);
      const value = subject.slice(start, end < 0 ? undefined : end);
      if (value !== "" && !hasWildcard(value)) return true;
    }
  }
  return false;
}

function gated(r: RulesetRule): boolean {
  return (
    subjectPinsGate(r.subject) ||
    (r.conditions ?? []).some((c) => (GATE_CLAIMS as readonly string[]).includes(c.claim) && c.pattern !== "" && !hasWildcard(c.pattern))
  );
}

function ownerPinned(r: RulesetRule): boolean {
  return (
    subjectPinsOwnerId(r.subject) || (r.conditions ?? []).some((c) => c.claim === "repository_owner_id" && /^[0-9]{1,20}$/.test(c.pattern))
  );
}

/** What the org knows of its GitHub owner, to write advice with the real ID. */
export interface PolicyContext {
  ownerId?: string | null | undefined;
}

/**
 * Where these rulesets break the policy: one entry per ruleset and setting, `path` pointing at the
 * ruleset's field (`["rulesets", i, "subject"]` or `["rulesets", i, "scopes"]`), each message saying
 * what to write instead. Empty when they comply.
 */
export function checkPolicy(
  policy: Pick<OrgPolicySettings, PolicyRule>,
  rulesets: readonly RulesetRule[],
  context: PolicyContext = {},
): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  rulesets.forEach((r, i) => {
    if (!judged(r)) return;
    if (policy.requireImmutableSubjects && !ownerPinned(r)) {
      const rewritten = context.ownerId ? immutableSubject(r.subject, context.ownerId) : null;
      out.push({
        setting: "requireImmutableSubjects",
        path: ["rulesets", i, "subject"],
        message:
          "The organisation's policy requires immutable subjects: " +
          (rewritten
            ? `write ${rewritten}, or add the condition repository_owner_id = ${context.ownerId}.`
            : "use the owner@id form (repo:<owner>@<owner-id>/<repository>@*:…) or add a repository_owner_id condition with the owner's ID."),
      });
    }
    if (policy.requireGateForWrites && writes(r) && !gated(r))
      out.push({
        setting: "requireGateForWrites",
        path: ["rulesets", i, "subject"],
        message:
          "The organisation's policy requires rulesets that grant push or delete to pin a branch, environment or reusable workflow: " +
          "end the subject with :ref:refs/heads/main or :environment:production, or add a ref, environment or job_workflow_ref condition without wildcards (or grant pull only).",
      });
    if (policy.forbidPullRequestWrites && writes(r) && matchesPullRequestJobs(r))
      out.push({
        setting: "forbidPullRequestWrites",
        path: ["rulesets", i, "subject"],
        message:
          "The organisation's policy forbids push and delete for pull-request jobs, and this subject matches …:pull_request: " +
          "name a branch or environment (e.g. …:ref:refs/heads/main), add an environment condition, or grant pull only.",
      });
  });
  return out;
}
