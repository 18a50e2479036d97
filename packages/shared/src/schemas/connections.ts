import { z } from "zod";
import { textRule } from "../text";
import {
  CONNECTION_TYPES,
  ConnectionStatusSchema,
  OrgSlugSchema,
  RepositoryNameSchema,
  RulesetModeSchema,
  ScopeSchema,
  TimestampSchema,
  UuidSchema,
} from "./common";

export const MAX_RULESETS = 5;
export const MAX_CONDITIONS = 10;
export const MAX_RESOURCES = 100;
export const MIN_TOKEN_TTL = 300;
export const MAX_TOKEN_TTL = 3600;

/** Allowed condition claims (SPEC §4.3), plus any `repo_property_<name>`. */
export const CONDITION_CLAIMS = [
  "repository",
  "repository_id",
  "repository_owner",
  "repository_owner_id",
  "repository_visibility",
  "ref",
  "ref_type",
  "ref_protected",
  "environment",
  "workflow",
  "workflow_ref",
  "job_workflow_ref",
  "event_name",
  "runner_environment",
  "actor",
  "actor_id",
  "base_ref",
  "head_ref",
  "enterprise",
  "enterprise_id",
] as const;
const CONDITION_CLAIM_SET: ReadonlySet<string> = new Set(CONDITION_CLAIMS);
export const REPO_PROPERTY_PREFIX = "repo_property_";

export function isAllowedConditionClaim(claim: string): boolean {
  return (
    CONDITION_CLAIM_SET.has(claim) ||
    (claim.startsWith(REPO_PROPERTY_PREFIX) && /^[A-Za-z0-9_.-]{1,75}$/.test(claim.slice(REPO_PROPERTY_PREFIX.length)))
  );
}

/** A subject pattern (SPEC §3, §4.1). */
export const SubjectPatternSchema = z
  .string()
  .min(1, "Enter a subject pattern")
  .max(256, "At most 256 characters")
  .superRefine(textRule())
  // Spaces other than the control and invisible characters the text rule names.
  .refine((s) => !/\s/u.test(s.replace(/[\p{Cc}\p{Cf}]/gu, "")), "No spaces")
  .refine((s) => s.startsWith("repo:"), "Must start with repo:, e.g. repo:octo-org/api:ref:refs/heads/main");

export const ConditionSchema = z.strictObject({
  claim: z
    .string()
    .min(1, "Choose a claim")
    .max(100)
    .refine(isAllowedConditionClaim, "Not a supported claim: use a GitHub Actions claim or repo_property_<name>"),
  pattern: z.string().min(1, "Enter a pattern").max(256, "At most 256 characters").superRefine(textRule()),
});
export type Condition = z.infer<typeof ConditionSchema>;

/** `org-slug/name`. Whether the repository belongs to the org is checked by the server. */
export const ResourceNameSchema = z.string().refine((s) => {
  const slash = s.indexOf("/");
  return slash > 0 && OrgSlugSchema.safeParse(s.slice(0, slash)).success && RepositoryNameSchema.safeParse(s.slice(slash + 1)).success;
}, "Use org/repository, e.g. octo-org/api");

function uniqueIssues<T>(items: readonly T[], key: (t: T) => string, ctx: z.RefinementCtx, message: string, field?: string) {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) ctx.addIssue({ code: "custom", path: field ? [i, field] : [i], message });
    seen.add(k);
  });
}

const rulesetFields = {
  label: z.string().trim().normalize("NFC").min(1, "Enter a label").max(64, "At most 64 characters").superRefine(textRule()),
  subject: SubjectPatternSchema,
  conditions: z.array(ConditionSchema).max(MAX_CONDITIONS, `At most ${MAX_CONDITIONS} conditions`).default([]),
  resources: z
    .array(ResourceNameSchema)
    .min(1, "Choose at least one repository")
    .max(MAX_RESOURCES, `At most ${MAX_RESOURCES} repositories`)
    .superRefine((items, ctx) => uniqueIssues(items, (s) => s, ctx, "Repository listed twice")),
  scopes: z
    .array(ScopeSchema)
    .min(1, "Choose at least one scope")
    .superRefine((items, ctx) => uniqueIssues(items, (s) => s, ctx, "Scope listed twice")),
  /** SPEC §11: `audit` never grants, it records what it would have matched. */
  mode: RulesetModeSchema.default("enforce"),
  /**
   * SPEC §11: from this instant on the ruleset matches nothing. Must be in the future when set or
   * changed (checked by the server, which knows the stored value: an unchanged past date may stay).
   */
  expiresAt: z.iso.datetime({ offset: true, message: "Use an ISO 8601 date and time, e.g. 2026-12-31T23:59:59Z" }).nullable().default(null),
};

export const RulesetInputSchema = z.strictObject(rulesetFields);
export type RulesetInput = z.input<typeof RulesetInputSchema>;

/** In a PATCH, a ruleset that keeps its `id` keeps its history. */
export const RulesetPatchSchema = z.strictObject({ id: UuidSchema.optional(), ...rulesetFields });
export type RulesetPatch = z.input<typeof RulesetPatchSchema>;
/** A ruleset as the server stores it: a parsed `RulesetPatch` (defaults applied; `id` when it keeps its history). */
export type RulesetValues = z.output<typeof RulesetPatchSchema>;

function rulesetList<T extends z.ZodType<{ label: string; id?: string | undefined }>>(item: T) {
  return z.array(item).superRefine((items, ctx) => {
    if (items.length < 1) ctx.addIssue({ code: "custom", path: [], message: "Add at least one ruleset" });
    if (items.length > MAX_RULESETS)
      ctx.addIssue({ code: "custom", path: [MAX_RULESETS], message: `A connection can have at most ${MAX_RULESETS} rulesets` });
    uniqueIssues(items, (r) => r.label.toLowerCase(), ctx, "Another ruleset already has this label", "label");
    uniqueIssues(
      items.filter((r) => r.id !== undefined),
      (r) => r.id ?? "",
      ctx,
      "Ruleset listed twice",
      "id",
    );
  });
}

/** Stored in Unicode NFC, so names that look the same are the same name (unique per org, case-insensitively). */
const ConnectionNameSchema = z
  .string()
  .trim()
  .normalize("NFC")
  .min(1, "Enter a name")
  .max(100, "At most 100 characters")
  .superRefine(textRule());
/** Several lines allowed (line feeds; CR LF and CR become LF), no other control or invisible characters. */
const DescriptionSchema = z
  .string()
  .trim()
  .overwrite((s) => s.replace(/\r\n?/g, "\n"))
  .normalize("NFC")
  .max(500, "At most 500 characters")
  .superRefine(textRule({ multiline: true }));
const TtlSchema = z
  .number()
  .int("Whole seconds")
  .min(MIN_TOKEN_TTL, `At least ${MIN_TOKEN_TTL} seconds`)
  .max(MAX_TOKEN_TTL, `At most ${MAX_TOKEN_TTL} seconds`);

export const ConnectionCreateSchema = z.strictObject({
  name: ConnectionNameSchema,
  description: DescriptionSchema.default(""),
  type: z.enum(CONNECTION_TYPES, { message: "The only connection type is github-actions" }),
  issuer: z
    .url({ protocol: /^https?$/, message: "Enter the issuer URL" })
    .max(500)
    .optional(),
  maxTokenTtlSeconds: TtlSchema.default(MAX_TOKEN_TTL),
  rulesets: rulesetList(RulesetInputSchema),
});
export type ConnectionCreate = z.input<typeof ConnectionCreateSchema>;
/** A parsed `ConnectionCreate`: what the server's service takes. */
export type ConnectionCreateValues = z.output<typeof ConnectionCreateSchema>;

export const ConnectionPatchSchema = z
  .strictObject({
    name: ConnectionNameSchema.optional(),
    description: DescriptionSchema.optional(),
    maxTokenTtlSeconds: TtlSchema.optional(),
    rulesets: rulesetList(RulesetPatchSchema).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, "Nothing to change: send name, description, maxTokenTtlSeconds or rulesets");
export type ConnectionPatch = z.input<typeof ConnectionPatchSchema>;
/** A parsed `ConnectionPatch`: what the server's service takes. */
export type ConnectionPatchValues = z.output<typeof ConnectionPatchSchema>;

export const ConnectionListQuerySchema = z.strictObject({
  status: ConnectionStatusSchema.optional(),
  q: z.string().trim().normalize("NFC").max(100).superRefine(textRule()).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(200).optional(),
});
export type ConnectionListQuery = z.input<typeof ConnectionListQuerySchema>;
/** A parsed `ConnectionListQuery` (`limit` defaulted). */
export type ConnectionListOptions = z.output<typeof ConnectionListQuerySchema>;

/** Activity filters: token exchanges granted, token exchanges refused, changes to the connection. */
export const EVENT_KINDS = ["exchanged", "denied", "changes"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const EventListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(200).optional(),
  kind: z.enum(EVENT_KINDS).optional(),
});

/** Claims to simulate (GitHub's are flat, about 1–2 KiB): at most this deep and this large as JSON. */
export const MAX_CLAIMS_DEPTH = 10;
export const MAX_CLAIMS_BYTES = 16 * 1024;

/**
 * What is wrong with a claims value's shape, if anything: nested more than MAX_CLAIMS_DEPTH levels
 * or larger than MAX_CLAIMS_BYTES of JSON. Walks without recursion, so any depth is safe to check.
 */
export function claimsProblem(claims: unknown): string | undefined {
  const stack: [unknown, number][] = [[claims, 1]];
  while (stack.length) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (typeof value !== "object" || value === null) continue;
    if (depth > MAX_CLAIMS_DEPTH) return `Claims nested more than ${MAX_CLAIMS_DEPTH} levels deep are not supported`;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  if (new TextEncoder().encode(JSON.stringify(claims)).length > MAX_CLAIMS_BYTES)
    return `Claims are at most ${MAX_CLAIMS_BYTES / 1024} KiB of JSON`;
  return undefined;
}

export const ClaimsSchema = z.record(z.string(), z.unknown()).superRefine((claims, ctx) => {
  const problem = claimsProblem(claims);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

export const SimulateInputSchema = z
  .strictObject({
    claims: ClaimsSchema.optional(),
    token: z.string().min(1).max(16384, "A token is at most 16 KiB").optional(),
  })
  .refine((b) => (b.claims === undefined) !== (b.token === undefined), "Send either claims or token");
export type SimulateInput = z.input<typeof SimulateInputSchema>;

// ----- outputs -----

export const WarningSchema = z.object({ code: z.string(), message: z.string() });
export type Warning = z.infer<typeof WarningSchema>;

export const RulesetSchema = z.object({
  id: UuidSchema,
  label: z.string(),
  subject: z.string(),
  conditions: z.array(ConditionSchema),
  resources: z.array(z.string()),
  scopes: z.array(ScopeSchema),
  mode: RulesetModeSchema,
  /** Once passed, the ruleset matches nothing; the connection's warnings then say `expired` (SPEC §11). */
  expiresAt: TimestampSchema.nullable(),
  lastUsedAt: TimestampSchema.nullable(),
});
export type Ruleset = z.infer<typeof RulesetSchema>;

/** Where a saved connection breaks its organisation's current policy (SPEC §11); `path` as in error issues. */
export const PolicyViolationSchema = z.object({
  setting: z.enum(["requireImmutableSubjects", "requireGateForWrites", "forbidPullRequestWrites"]),
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
});
export type PolicyViolation = z.infer<typeof PolicyViolationSchema>;

export const ConnectionSummarySchema = z.object({
  id: UuidSchema,
  name: z.string(),
  description: z.string(),
  type: z.enum(CONNECTION_TYPES),
  status: ConnectionStatusSchema,
  rulesetCount: z.number().int(),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  lastUsedAt: TimestampSchema.nullable(),
  /** What the connection breaks of the organisation's current policy (saved before it changed); empty when nothing. */
  policyViolations: z.array(PolicyViolationSchema),
});
export type ConnectionSummary = z.infer<typeof ConnectionSummarySchema>;

export const ConnectionListSchema = z.object({
  items: z.array(ConnectionSummarySchema),
  nextCursor: z.string().nullable(),
});

export const UserRefSchema = z.object({ id: UuidSchema, email: z.string(), name: z.string() }).nullable();

export const ConnectionSchema = ConnectionSummarySchema.extend({
  org: OrgSlugSchema,
  issuer: z.string(),
  maxTokenTtlSeconds: z.number().int(),
  version: z.number().int(),
  createdBy: UserRefSchema,
  updatedBy: UserRefSchema,
  rulesets: z.array(RulesetSchema),
  /** Lints (SPEC §4.4), one list per ruleset, in ruleset order. */
  warnings: z.array(z.array(WarningSchema)),
});
export type Connection = z.infer<typeof ConnectionSchema>;

/** Who did it: a signed-in user, a workflow (token exchange), or an API token (SPEC §10). */
export const ACTOR_TYPES = ["user", "workflow", "api_token"] as const;

export const EventSchema = z.object({
  id: z.string(),
  connectionId: UuidSchema.nullable(),
  type: z.string(),
  actor: z.object({ type: z.enum(ACTOR_TYPES), id: z.string().nullable(), name: z.string() }),
  outcome: z.enum(["success", "failure"]),
  reason: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  ip: z.string().nullable(),
  createdAt: TimestampSchema,
});
export type AuditEvent = z.infer<typeof EventSchema>;

export const EventListSchema = z.object({ items: z.array(EventSchema), nextCursor: z.string().nullable() });

export const GrantSchema = z.object({ resource: z.string(), scopes: z.array(ScopeSchema) });
export const EvaluationSchema = z.object({
  allowed: z.boolean(),
  matched: z.array(z.string()),
  access: z.array(GrantSchema),
  /** Audit rulesets that would have matched (SPEC §11). */
  audit: z.array(z.string()).optional(),
  /** Expired rulesets that would have matched but for their expiry. */
  expired: z.array(z.string()).optional(),
});

/** Why the closest ruleset refused a token (`diagnoseNoMatch`). */
export const NoMatchDiagnosisSchema = z.object({
  label: z.string(),
  failed: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("subject"), pattern: z.string(), matchedPrefix: z.string() }),
    z.object({ kind: z.literal("condition"), claim: z.string(), pattern: z.string(), value: z.string().nullable() }),
  ]),
});

/** `simulate`'s answer: the whole decision (`decideExchange`, with the connection's status) and the claims used. */
export const SimulationSchema = EvaluationSchema.extend({
  reason: z.enum(["connection_inactive", "ruleset_expired", "no_matching_ruleset"]).nullable(),
  diagnosis: NoMatchDiagnosisSchema.nullable(),
  claims: z.record(z.string(), z.unknown()),
});
/** `GET …/oidc-connections/:id/audit`: what each audit ruleset would have matched (SPEC §11). */
export const AUDIT_WINDOW_DAYS = 30;
export const AuditSummarySchema = z.object({
  /** Start of the window: ${AUDIT_WINDOW_DAYS} days before the answer. */
  since: TimestampSchema,
  rulesets: z.array(
    z.object({
      id: UuidSchema,
      label: z.string(),
      /** Token exchanges (granted or refused) this ruleset would have matched in the window. */
      matches: z.number().int(),
      lastMatchedAt: TimestampSchema.nullable(),
      /** The repositories of those exchanges (at most 20, most recent activity first). */
      repositories: z.array(z.string()),
    }),
  ),
});
export type AuditSummary = z.infer<typeof AuditSummarySchema>;
