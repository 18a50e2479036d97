/**
 * The exchange's raw SQL (docs/token-service.md "Decision, replay and effects"), apart from the
 * code that batches it (`token/recorder.ts`): the record statement — connection check, jti claim,
 * `token.exchanged` and `token.first_use` events in one statement — in its two forms (bound VALUES
 * for any driver; one array per column, prepared once, on postgres.js), `lastUsedAt` coalescing
 * and `used_jtis` pruning. Column names here must follow `db/schema.ts`.
 */
import type { EventDetails } from "@oidc/shared";
import { and, eq, inArray, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "./client";
import { rowsOf } from "./raw";
import { connections, type events, rulesets, usedJtis } from "./schema";

/** One successful exchange waiting to be recorded: its replay claim and its `token.exchanged` event. */
export interface ExchangeRecord {
  connectionId: string;
  /** The connection version the decision was made on; the record is refused if it changed. */
  version: number;
  issuer: string;
  jti: string;
  /** ISO timestamp: the claim is kept until then (exp + tolerance). */
  claimExpiresAt: string;
  /**
   * The repository as first use counts it (SPEC §12): `id:<repository_id>` when the token has one,
   * else `name:<owner/repo>` in lower case; null when the token names no repository.
   */
  repoKey?: string | null;
  /** The repository's name as the token gave it (shown in `token.first_use`). */
  repository?: string | null;
  event: typeof events.$inferInsert;
}

type FirstUseDetails = EventDetails<"token.first_use">;
/**
 * The details a `token.first_use` event copies from its exchange's `token.exchanged` details: every
 * key of the shared contract's first use but `repository` (the record's own). tsc refuses a key
 * missing here, one too many, or one the exchange's details do not have.
 */
const FIRST_USE_COPIED_KEYS: {
  [K in Exclude<keyof FirstUseDetails, "repository">]: K extends keyof EventDetails<"token.exchanged"> ? true : never;
} = { repositoryId: true, ref: true, workflow: true, runId: true, runAttempt: true, serverUrl: true, tokenId: true };
export const FIRST_USE_COPIED = Object.keys(FIRST_USE_COPIED_KEYS);

/**
 * After `input`: keep the rows whose connection is still active at the cached version, claim their
 * jtis, and write a `token.exchanged` event for each claim that succeeded; one row per input row
 * says whether it was current and whether its jti was recorded. A constant: no caller text in it
 * (the first use's keys are the constant names above).
 */
const RECORD_REST = `
  , current_input as (
    select input.* from input
    join connections c on c.id = input.connection_id and c.status = 'active' and c.version = input.version
  ), claimed as (
    insert into used_jtis (issuer, jti, expires_at)
    select issuer, jti, expires_at from current_input
    on conflict do nothing
    returning issuer, jti
  ), fresh as (
    select distinct on (ci.connection_id, ci.repo_key) ci.*
    from current_input ci join claimed cl on cl.issuer = ci.issuer and cl.jti = ci.jti
    where ci.repo_key is not null
    order by ci.connection_id, ci.repo_key, ci.n
  ), first_seen as (
    insert into connection_repositories (connection_id, repo_key, repository)
    select connection_id, repo_key, coalesce(repository, repo_key) from fresh
    on conflict do nothing
    returning connection_id, repo_key
  ), first_use as (
    insert into events (org_id, connection_id, type, actor_type, actor_id, actor_name, outcome, details, ip)
    select f.org_id, f.connection_id, 'token.first_use', 'workflow', f.actor_id, f.actor_name, 'success',
      jsonb_build_object('repository', coalesce(f.repository, f.repo_key),
        ${FIRST_USE_COPIED.map((key) => `'${key}', f.details->'${key}'`).join(", ")}), f.ip
    from fresh f join first_seen s on s.connection_id = f.connection_id and s.repo_key = f.repo_key
    order by f.n
    returning 1
  ), recorded as (
    insert into events (org_id, connection_id, type, actor_type, actor_id, actor_name, outcome, details, ip)
    select ci.org_id, ci.connection_id, 'token.exchanged', 'workflow', ci.actor_id, ci.actor_name, 'success', ci.details, ci.ip
    from current_input ci join claimed cl on cl.issuer = ci.issuer and cl.jti = ci.jti
    order by ci.n
    returning 1
  )
  select ci.n, (cl.jti is not null) as recorded
  from current_input ci left join claimed cl on cl.issuer = ci.issuer and cl.jti = ci.jti`;

/** The record statement with its input as bound VALUES (PGlite). */
export function recordStatement(records: ExchangeRecord[]): SQL {
  const values = sql.join(
    records.map(
      (r, i) =>
        sql`(${i}::int, ${r.connectionId}::uuid, ${r.version}::int, ${r.issuer}::text, ${r.jti}::text, ${r.claimExpiresAt}::timestamptz,
          ${r.event.orgId}::uuid, ${r.event.actorId ?? null}::text, ${r.event.actorName}::text, ${JSON.stringify(r.event.details ?? {})}::jsonb, ${r.event.ip ?? null}::text,
          ${r.repoKey ?? null}::text, ${r.repository ?? null}::text)`,
    ),
    sql`, `,
  );
  return sql`with input (n, connection_id, version, issuer, jti, expires_at, org_id, actor_id, actor_name, details, ip, repo_key, repository) as (
      values ${values}
    )${sql.raw(RECORD_REST)}`;
}

/** The same statement over one array per column (postgres.js, prepared once). */
export const ARRAY_STATEMENT = `
  with input as (
    select * from unnest($1::int[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[]::timestamptz[], $7::uuid[], $8::text[], $9::text[], $10::text[]::jsonb[], $11::text[], $12::text[], $13::text[])
      as t (n, connection_id, version, issuer, jti, expires_at, org_id, actor_id, actor_name, details, ip, repo_key, repository)
  )${RECORD_REST}`;

export function arrayParams(records: ExchangeRecord[]): unknown[] {
  return [
    records.map((_, i) => i),
    records.map((r) => r.connectionId),
    records.map((r) => r.version),
    records.map((r) => r.issuer),
    records.map((r) => r.jti),
    records.map((r) => r.claimExpiresAt),
    records.map((r) => r.event.orgId),
    records.map((r) => r.event.actorId ?? null),
    records.map((r) => r.event.actorName),
    // Sent as text[] and cast in SQL: drizzle replaces postgres.js's json and timestamp serialisers.
    records.map((r) => JSON.stringify(r.event.details ?? {})),
    records.map((r) => r.event.ip ?? null),
    records.map((r) => r.repoKey ?? null),
    records.map((r) => r.repository ?? null),
  ];
}

/** Expired `used_jtis` rows, at most `batch` of them; returns how many were deleted. */
export async function pruneUsedJtis(db: Database, batch: number): Promise<number> {
  const result = await db.execute(sql`
    delete from ${usedJtis} where (issuer, jti) in (
      select issuer, jti from ${usedJtis} where expires_at < now() limit ${batch}
    ) returning 1`);
  return rowsOf(result).length;
}

/**
 * `lastUsedAt = now()` on the connection and the rulesets given, skipping rows another process
 * wrote in the last `intervalSeconds` (so concurrent exchanges do not queue on the row lock).
 */
export async function touchLastUsed(db: Database, connectionId: string | undefined, rulesetIds: string[], intervalSeconds: number) {
  const stale = (column: typeof connections.lastUsedAt | typeof rulesets.lastUsedAt) =>
    or(isNull(column), lt(column, sql`now() - make_interval(secs => ${intervalSeconds})`));
  if (connectionId)
    await db
      .update(connections)
      .set({ lastUsedAt: sql`now()` })
      .where(and(eq(connections.id, connectionId), stale(connections.lastUsedAt)));
  if (rulesetIds.length)
    await db
      .update(rulesets)
      .set({ lastUsedAt: sql`now()` })
      .where(and(inArray(rulesets.id, rulesetIds), stale(rulesets.lastUsedAt)));
}
