import { z } from "zod";
import { OrgPolicySettingsSchema } from "../policy";
import { RoleSchema, RulesetModeSchema, ScopeSchema, TOKEN_ERROR_CODES } from "./common";
import { GrantSchema, NoMatchDiagnosisSchema } from "./connections";

/**
 * The event contract (SPEC §5.4, §9, §10, §11, §12): every event type the server writes, with its
 * outcome, its reason and the shape of its `details`, as one discriminated union on `type`. The
 * server builds its events with these types (tsc refuses a detail that is not here), the console
 * renders them with an exhaustive switch, and a server test parses real events with this union.
 *
 * Details are `z.object`s: parsing strips a key the contract does not name, so the contract test
 * compares the parsed details with the raw ones to catch a field written but not declared.
 */

/**
 * Every reason code the token endpoint refuses with (the `reason` of its errors). All but the last
 * three are written to `token.denied` events; those three never are: no connection to record it
 * on (`unknown_connection`), or the database is the problem (`database_unavailable`), or it is
 * internal and decided again (`connection_changed`).
 */
export const DENIAL_REASONS = [
  "malformed_request",
  "malformed_token",
  "unsupported_token",
  "bad_signature",
  "unknown_key",
  "expired",
  "not_yet_valid",
  "too_old",
  "missing_claim",
  "untrusted_issuer",
  "audience_mismatch",
  "connection_inactive",
  "replay",
  "no_matching_ruleset",
  /** SPEC §11: no ruleset matches, but an expired one would have (the caller is told "no ruleset matches"). */
  "ruleset_expired",
  "invalid_target",
  "rate_limited",
  "issuer_unavailable",
  "unknown_connection",
  "database_unavailable",
  "connection_changed",
] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];
export const DenialReasonSchema = z.enum(DENIAL_REASONS);
/** The reasons a `token.denied` event carries. */
export const RecordedDenialReasonSchema = DenialReasonSchema.exclude(["unknown_connection", "database_unavailable", "connection_changed"]);
export type RecordedDenialReason = z.infer<typeof RecordedDenialReasonSchema>;

/** A string the caller's token supplied, clipped; null when the token had none. */
const claimed = z.string().nullable();

/** The source job of a token exchange, from the token's claims (clipped). */
export const EventJobSchema = z.object({
  sub: claimed,
  repository: claimed,
  repositoryId: claimed,
  ref: claimed,
  sha: claimed,
  workflow: claimed,
  jobWorkflowRef: claimed,
  runId: claimed,
  runAttempt: claimed,
  /** The issuer's GitHub web address (links to the run), null for an issuer that is not GitHub's. */
  serverUrl: z.string().nullable(),
});
export type EventJob = z.infer<typeof EventJobSchema>;

/** A ruleset as recorded in `connection.created` and in an update's per-field diff. */
export const RulesetSnapshotSchema = z.object({
  label: z.string(),
  subject: z.string(),
  conditions: z.array(z.object({ claim: z.string(), pattern: z.string() })),
  resources: z.array(z.string()),
  scopes: z.array(ScopeSchema),
  mode: RulesetModeSchema,
  expiresAt: z.string().nullable(),
});
export type RulesetSnapshot = z.infer<typeof RulesetSnapshotSchema>;

const change = <T extends z.ZodType>(value: T) => z.object({ before: value, after: value });

export const ConnectionUpdatedDetailsSchema = z.object({
  version: z.number().int(),
  changes: z.object({
    name: change(z.string()).optional(),
    description: change(z.string()).optional(),
    maxTokenTtlSeconds: change(z.number().int()).optional(),
    rulesets: z
      .object({
        added: z.array(z.string()),
        removed: z.array(z.string()),
        /** Per changed ruleset: only the fields that changed, before and after. */
        changed: z.array(
          z.object({ id: z.string(), label: z.string(), before: RulesetSnapshotSchema.partial(), after: RulesetSnapshotSchema.partial() }),
        ),
        reordered: z.boolean(),
      })
      .optional(),
  }),
});

/** The settings that changed, each before and after. */
const policyChange = z.partialRecord(OrgPolicySettingsSchema.keyof(), change(z.union([z.boolean(), z.number().int()])));

export const TokenExchangedDetailsSchema = z.object({
  /** Labels of the rulesets that matched. */
  rulesets: z.array(z.string()),
  access: z.array(GrantSchema),
  /** The source job's fields, flat (its `sub` is `subject`). */
  ...EventJobSchema.omit({ sub: true }).shape,
  subject: claimed,
  /** The access token's lifetime, seconds. */
  expiresIn: z.number().int(),
  /** The access token's jti. */
  tokenId: z.string(),
  requestId: z.string(),
  /** SPEC §11: audit rulesets that would have matched. */
  audit: z.array(z.string()).optional(),
});

export const TokenDeniedDetailsSchema = z.object({
  /** The RFC 6749 error code the caller got. */
  error: z.enum(TOKEN_ERROR_CODES),
  /** The error_description the caller got. */
  description: z.string(),
  requestId: z.string(),
  /** Whether the token's signature and claims were verified (an unverified token's claims could say anything). */
  verified: z.boolean(),
  /** The token's claims, when it could be parsed. */
  job: EventJobSchema.optional(),
  audit: z.array(z.string()).optional(),
  /** `ruleset_expired`: the expired rulesets that would have matched. */
  expired: z.array(z.string()).optional(),
  /** `no_matching_ruleset`: the closest ruleset and what it failed on. */
  diagnosis: NoMatchDiagnosisSchema.nullable().optional(),
});

/** Copied from the `token.exchanged` event of the repository's first exchange (SPEC §12). */
export const TokenFirstUseDetailsSchema = z.object({
  repository: z.string(),
  repositoryId: claimed,
  ref: claimed,
  workflow: claimed,
  runId: claimed,
  runAttempt: claimed,
  serverUrl: z.string().nullable(),
  tokenId: z.string(),
});

export const RegistryTokenDetailsSchema = z.object({
  /** The access token's jti. */
  tokenId: z.string(),
  service: z.string(),
  username: z.string().nullable(),
  /** The requested scopes, canonical, separated by spaces. */
  scope: z.string(),
  /** What was granted (requested ∩ the access token's grants). */
  access: z.array(z.object({ type: z.literal("repository"), name: z.string(), actions: z.array(z.string()) })),
  repository: z.string().nullable(),
  ref: z.string().nullable(),
  requestId: z.string(),
});

const webhookSettings = z.object({ url: z.string(), events: z.array(z.string()) });

const success = z.literal("success");
const noReason = z.null();
const event = <T extends string, D extends z.ZodType>(type: T, details: D) =>
  z.object({ type: z.literal(type), outcome: success, reason: noReason, details });

/** One member per event type: what `recordEvent` (and the SQL-built rows) write. */
export const EventBodySchema = z.discriminatedUnion("type", [
  event("connection.created", z.object({ name: z.string(), rulesets: z.array(RulesetSnapshotSchema) })),
  event("connection.updated", ConnectionUpdatedDetailsSchema),
  event("connection.deactivated", z.object({ version: z.number().int() })),
  event("connection.activated", z.object({ version: z.number().int() })),
  event("connection.deleted", z.object({ name: z.string(), version: z.number().int() })),
  event("token.exchanged", TokenExchangedDetailsSchema),
  z.object({
    type: z.literal("token.denied"),
    outcome: z.literal("failure"),
    reason: RecordedDenialReasonSchema,
    details: TokenDeniedDetailsSchema,
  }),
  event("token.first_use", TokenFirstUseDetailsSchema),
  event("registry.token", RegistryTokenDetailsSchema),
  event(
    "policy.updated",
    z.object({ version: z.number().int(), before: OrgPolicySettingsSchema, after: OrgPolicySettingsSchema, changes: policyChange }),
  ),
  event("api_token.created", z.object({ tokenId: z.string(), name: z.string(), role: RoleSchema, expiresAt: z.string().nullable() })),
  event("api_token.deleted", z.object({ tokenId: z.string(), name: z.string(), role: RoleSchema })),
  event("webhook.created", webhookSettings),
  event("webhook.updated", z.object({ before: webhookSettings, after: webhookSettings })),
  event("webhook.secret_rotated", z.object({})),
  event("webhook.deleted", webhookSettings),
]);
export type EventBody = z.infer<typeof EventBodySchema>;
export type EventType = EventBody["type"];
/** The event of one type; `EventDetails<"token.denied">` its details. */
export type EventOf<T extends EventType> = Extract<EventBody, { type: T }>;
export type EventDetails<T extends EventType> = EventOf<T>["details"];

/**
 * Every event type, in the contract's order: what an organisation filters on and subscribes a
 * webhook to (SPEC §12). Derived from the union: adding a member adds it here.
 */
export const EVENT_TYPES: readonly EventType[] = EventBodySchema.options.map((o) => o.shape.type.value);
