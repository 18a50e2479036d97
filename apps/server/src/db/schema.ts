import type { Condition, ConnectionStatus, ConnectionType, Role, RulesetMode, Scope } from "@oidc/shared";
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/** Millisecond precision, so that a timestamp survives a round trip through a JS Date (cursors). */
const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });
const createdAt = () => ts("created_at").notNull().defaultNow();

export const organizations = pgTable(
  "organizations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    githubOwner: text("github_owner"),
    githubOwnerId: text("github_owner_id"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("organizations_slug_key").on(t.slug),
    check("organizations_slug_format", sql`${t.slug} ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' and char_length(${t.slug}) <= 64`),
    check("organizations_owner_id_digits", sql`${t.githubOwnerId} is null or ${t.githubOwnerId} ~ '^[0-9]{1,20}$'`),
  ],
);

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    passwordHash: text("password_hash").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("users_email_lower_key").on(sql`lower(${t.email})`)],
);

export const memberships = pgTable(
  "memberships",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role").$type<Role>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.userId] }),
    index("memberships_user_idx").on(t.userId),
    check("memberships_role_check", sql`${t.role} in ('owner', 'member')`),
  ],
);

export const sessions = pgTable(
  "sessions",
  {
    /** SHA-256 of the cookie's secret, so that a database leak yields no usable session. */
    idHash: text("id_hash").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: ts("expires_at").notNull(),
  },
  (t) => [index("sessions_user_idx").on(t.userId), index("sessions_expires_idx").on(t.expiresAt)],
);

export const repositories = pgTable(
  "repositories",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("repositories_org_name_key").on(t.orgId, sql`lower(${t.name})`),
    check("repositories_name_format", sql`${t.name} ~ '^[A-Za-z0-9_.-]{1,100}$'`),
  ],
);

export const connections = pgTable(
  "connections",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    type: text("type").$type<ConnectionType>().notNull().default("github-actions"),
    issuer: text("issuer").notNull(),
    status: text("status").$type<ConnectionStatus>().notNull().default("active"),
    maxTokenTtlSeconds: integer("max_token_ttl_seconds").notNull().default(3600),
    version: integer("version").notNull().default(1),
    createdAt: createdAt(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    updatedBy: uuid("updated_by").references(() => users.id, { onDelete: "set null" }),
    lastUsedAt: ts("last_used_at"),
    /** Access tokens issued before this instant are revoked (set on deactivation, SPEC §6.4). */
    tokensValidAfter: ts("tokens_valid_after"),
  },
  (t) => [
    uniqueIndex("connections_org_name_key").on(t.orgId, sql`lower(${t.name})`),
    // DESC NULLS FIRST is what `order by … desc` means: only then does the index give the list's order.
    index("connections_org_created_idx").on(t.orgId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    check("connections_name_length", sql`char_length(${t.name}) between 1 and 100`),
    check("connections_description_length", sql`char_length(${t.description}) <= 500`),
    check("connections_type_check", sql`${t.type} = 'github-actions'`),
    check("connections_status_check", sql`${t.status} in ('active', 'inactive')`),
    check("connections_ttl_range", sql`${t.maxTokenTtlSeconds} between 300 and 3600`),
    check("connections_version_positive", sql`${t.version} >= 1`),
  ],
);

export const rulesets = pgTable(
  "rulesets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    /** 0–4: with the unique index below, at most 5 rulesets per connection, whatever races. */
    position: smallint("position").notNull(),
    label: text("label").notNull(),
    subject: text("subject").notNull(),
    conditions: jsonb("conditions").$type<Condition[]>().notNull().default([]),
    resources: text("resources").array().notNull(),
    scopes: text("scopes").array().$type<Scope[]>().notNull(),
    createdAt: createdAt(),
    lastUsedAt: ts("last_used_at"),
    /** SPEC §11: `audit` rulesets never grant; they record what they would have matched. */
    mode: text("mode").$type<RulesetMode>().notNull().default("enforce"),
    /** SPEC §11: from this instant on the ruleset matches nothing. */
    expiresAt: ts("expires_at"),
  },
  (t) => [
    check("rulesets_mode_check", sql`${t.mode} in ('enforce', 'audit')`),
    uniqueIndex("rulesets_connection_position_key").on(t.connectionId, t.position),
    uniqueIndex("rulesets_connection_label_key").on(t.connectionId, sql`lower(${t.label})`),
    check("rulesets_position_range", sql`${t.position} between 0 and 4`),
    check("rulesets_label_length", sql`char_length(${t.label}) between 1 and 64`),
    check("rulesets_subject_format", sql`char_length(${t.subject}) between 1 and 256 and ${t.subject} like 'repo:%'`),
    check("rulesets_resources_count", sql`cardinality(${t.resources}) between 1 and 100`),
    check("rulesets_scopes_valid", sql`cardinality(${t.scopes}) >= 1 and ${t.scopes} <@ array['pull', 'push', 'delete']::text[]`),
  ],
);

/** A ruleset's rule columns (label, subject, conditions, resources, scopes, mode), for the selections that read rules. */
export const rulesetRuleColumns = {
  label: rulesets.label,
  subject: rulesets.subject,
  conditions: rulesets.conditions,
  resources: rulesets.resources,
  scopes: rulesets.scopes,
  mode: rulesets.mode,
};

export const events = pgTable(
  "events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    orgId: uuid("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** No foreign key: a connection's audit events outlive it. */
    connectionId: uuid("connection_id"),
    type: text("type").notNull(),
    actorType: text("actor_type").$type<"user" | "workflow" | "api_token">().notNull(),
    actorId: text("actor_id"),
    actorName: text("actor_name").notNull(),
    outcome: text("outcome").$type<"success" | "failure">().notNull(),
    reason: text("reason"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    ip: text("ip"),
    createdAt: createdAt(),
  },
  (t) => [
    index("events_connection_idx").on(t.connectionId, t.id.desc().nullsFirst()),
    index("events_org_idx").on(t.orgId, t.id.desc().nullsFirst()),
    // Usage (SPEC §12): a connection's token events in a time window, read from this index alone.
    index("events_usage_idx").on(t.connectionId, t.createdAt, t.type).where(sql`${t.type} in ('token.exchanged', 'token.denied')`),
    // Audit-mode matches per connection over a time window (SPEC §11), without scanning other events.
    index("events_audit_idx").on(t.connectionId, t.createdAt).where(sql`(${t.details} -> 'audit') is not null`),
    // `registry.token` events are coalesced (SPEC §9): one per access token (its jti) and scope set.
    uniqueIndex("events_registry_token_key")
      .on(t.connectionId, sql`(${t.details}->>'tokenId')`, sql`md5(${t.details}->>'scope')`)
      .where(sql`${t.type} = 'registry.token'`),
    check("events_actor_type_check", sql`${t.actorType} in ('user', 'workflow', 'api_token')`),
    check("events_outcome_check", sql`${t.outcome} in ('success', 'failure')`),
  ],
);

/**
 * Organisation policy (SPEC §11). No row means the defaults (version 0). Writers of connections lock
 * the organisation's row FOR SHARE and policy writers FOR NO KEY UPDATE, so a policy change and a
 * connection save never interleave (the row may not exist yet, the organisation's always does).
 */
export const orgPolicies = pgTable(
  "org_policies",
  {
    orgId: uuid("org_id")
      .primaryKey()
      .references(() => organizations.id, { onDelete: "cascade" }),
    requireImmutableSubjects: boolean("require_immutable_subjects").notNull().default(false),
    requireGateForWrites: boolean("require_gate_for_writes").notNull().default(false),
    forbidPullRequestWrites: boolean("forbid_pull_request_writes").notNull().default(false),
    maxTokenTtlSeconds: integer("max_token_ttl_seconds").notNull().default(3600),
    version: integer("version").notNull().default(1),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    updatedBy: uuid("updated_by").references(() => users.id, { onDelete: "set null" }),
  },
  (t) => [
    check("org_policies_ttl_range", sql`${t.maxTokenTtlSeconds} between 300 and 3600`),
    check("org_policies_version_positive", sql`${t.version} >= 1`),
  ],
);

/**
 * Shared rate-limit counters (RATE_LIMIT_STORE=postgres): one row per limiter key and fixed window,
 * written by one upsert per hit (`http/rate-limit.ts`). UNLOGGED in the migration: no WAL and no
 * flush per hit; a crash loses at most one window's counts, which is harmless for a limit.
 */
export const rateLimits = pgTable(
  "rate_limits",
  {
    key: text("key").primaryKey(),
    points: integer("points").notNull(),
    expire: ts("expire"),
  },
  (t) => [index("rate_limits_expire_idx").on(t.expire)],
);

/** Replay protection (SPEC §6.2): an `(issuer, jti)` is claimed once, kept until `exp` + tolerance. */
export const usedJtis = pgTable(
  "used_jtis",
  {
    issuer: text("issuer").notNull(),
    jti: text("jti").notNull(),
    expiresAt: ts("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.jti] }), index("used_jtis_expires_idx").on(t.expiresAt)],
);

/**
 * Admin API tokens (SPEC §10): only the SHA-256 of the secret is stored (32 random bytes need no
 * slow hash). A revoked token's row is deleted; its events stay and name it.
 */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    role: text("role").$type<Role>().notNull(),
    /** base64url SHA-256 of the whole token. */
    secretHash: text("secret_hash").notNull(),
    /** `oidcc_` and the first 4 characters of the secret, to recognise a token; not enough to guess it. */
    prefix: text("prefix").notNull(),
    createdAt: createdAt(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    expiresAt: ts("expires_at"),
    lastUsedAt: ts("last_used_at"),
  },
  (t) => [
    uniqueIndex("api_tokens_secret_hash_key").on(t.secretHash),
    index("api_tokens_org_idx").on(t.orgId, t.createdAt),
    check("api_tokens_role_check", sql`${t.role} in ('owner', 'member')`),
    check("api_tokens_name_length", sql`char_length(${t.name}) between 1 and 100`),
  ],
);

/** What a `signing_keys` row is for. */
export const KEY_PURPOSES = ["access", "dev-issuer", "registry-ca"] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

/**
 * The server's own private keys: access-token signing keys (SPEC §6.3), the development issuer's
 * key (§6.6) and the registry CA's key (§9), told apart by `purpose`.
 */
export const signingKeys = pgTable(
  "signing_keys",
  {
    kid: text("kid").primaryKey(),
    alg: text("alg").notNull(),
    purpose: text("purpose").$type<KeyPurpose>().notNull(),
    privateJwk: jsonb("private_jwk").$type<Record<string, unknown>>().notNull(),
    publicJwk: jsonb("public_jwk").$type<Record<string, unknown>>().notNull(),
    /** The registry CA's self-signed certificate (PEM); null for other keys. */
    certificate: text("certificate"),
    createdAt: createdAt(),
    /** When it stopped signing (rotation); null for the current key. */
    retiredAt: ts("retired_at"),
    /** Published until then: the last token it signed has expired. */
    publishUntil: ts("publish_until"),
  },
  (t) => [
    index("signing_keys_purpose_idx").on(t.purpose, t.createdAt),
    check("signing_keys_purpose_check", sql`${t.purpose} in ('access', 'dev-issuer', 'registry-ca')`),
  ],
);

/**
 * The repositories that got a token from a connection (SPEC §12 first use): by `repository_id`
 * (`id:<n>`) when the token had one, else by name (`name:<owner/repo>`). Written by the exchange's
 * record statement; the row that is new writes `token.first_use`.
 */
export const connectionRepositories = pgTable(
  "connection_repositories",
  {
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    repoKey: text("repo_key").notNull(),
    repository: text("repository").notNull(),
    firstAt: ts("first_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.repoKey] }), index("connection_repositories_recent_idx").on(t.connectionId, t.firstAt)],
);

/** An organisation's webhook (SPEC §12): one per org; the signing secret sealed like private keys. */
export const webhooks = pgTable("webhooks", {
  orgId: uuid("org_id")
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  url: text("url").notNull(),
  events: text("events").array().notNull(),
  /** AES-256-GCM envelope (keys/vault) of the secret as a JWK `{kty: "oct", k}`, bound to the org. */
  secret: jsonb("secret").$type<Record<string, unknown>>().notNull(),
  createdAt: createdAt(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/**
 * The webhook outbox: one row per event to deliver, written by a trigger on `events` in the
 * event's own transaction; claimed by workers with FOR UPDATE SKIP LOCKED and a lease.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    orgId: uuid("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    eventId: bigint("event_id", { mode: "number" }),
    eventType: text("event_type").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    status: text("status").$type<"pending" | "delivered" | "failed">().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /** Due then; a worker's claim moves it a lease ahead (a crashed worker's claim expires by itself). */
    nextAttemptAt: ts("next_attempt_at").notNull().defaultNow(),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: createdAt(),
    deliveredAt: ts("delivered_at"),
  },
  (t) => [
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index("webhook_deliveries_org_idx").on(t.orgId, t.id.desc().nullsFirst()),
    check("webhook_deliveries_status_check", sql`${t.status} in ('pending', 'delivered', 'failed')`),
  ],
);
