import type { EventDetails } from "@oidc/shared";
import { type SQL, sql } from "drizzle-orm";
import { storableText } from "../audit/events";
import type { events } from "../db/schema";
import { observeRecorderBatch } from "../metrics";

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

export interface RecordOutcome {
  /** The connection is still active at that version. */
  current: boolean;
  /** The jti was claimed now (false: already used) and the event written. */
  recorded: boolean;
}

/**
 * This record alone was refused by the database (its data, not the database's health): the batch
 * it was in was retried without it. The exchange is refused; nothing of it was recorded.
 */
export class RecordRefused extends Error {
  constructor(cause: unknown) {
    super("The database refused this exchange's record", { cause });
    this.name = "RecordRefused";
  }
}

/**
 * An error one record's data can cause (SQLSTATE class 22, data exception, e.g. text PostgreSQL
 * cannot store; class 23, integrity), which another subset of the batch may not have: worth
 * splitting the batch. Anything else (connection trouble, a missing table, shutdown) fails every
 * statement alike: the whole batch gets it at once.
 */
function statementError(error: unknown): boolean {
  // drizzle wraps the driver's error (DrizzleQueryError) and keeps it as the cause.
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code);
}

/** The exchange was answered (503) before its record was sent: it is not recorded. */
export class RecordAbandoned extends Error {
  constructor() {
    super("The exchange was answered before it could be recorded");
    this.name = "RecordAbandoned";
  }
}

interface Pending {
  record: ExchangeRecord;
  /** True once the exchange was answered without a token (its deadline passed): then it is not sent. */
  abandoned: (() => boolean) | undefined;
  resolve(outcome: RecordOutcome): void;
  reject(error: unknown): void;
}

const MAX_BATCH = 100;

function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  return ((result as { rows?: Record<string, unknown>[] }).rows ?? []) as Record<string, unknown>[];
}

/**
 * Records successful exchanges, several per statement when they arrive together (group commit at
 * the application level): a statement is one transaction, so each record's connection check, jti
 * claim and event are all-or-nothing, and under load one commit serves many exchanges instead of
 * one each. With no load, a record goes out at once, alone. At most `maxInFlight` statements run
 * at a time; the rest wait and join the next batch.
 */
export class ExchangeRecorder {
  private pending: Pending[] = [];
  private inFlight = 0;

  /**
   * `execute` runs the portable statement (drizzle, any driver); `executeArrays`, when given (the
   * postgres.js driver), runs the same statement with one array parameter per column instead: a
   * fixed text, prepared once, so PostgreSQL does not parse and plan hundreds of parameters per batch.
   */
  constructor(
    private readonly execute: (query: SQL) => Promise<unknown>,
    private readonly maxInFlight: number,
    private readonly executeArrays?: (text: string, params: unknown[]) => Promise<unknown>,
  ) {}

  record(record: ExchangeRecord, abandoned?: () => boolean): Promise<RecordOutcome> {
    // The claim key as it will be stored (and compared within a batch): a NUL cannot be stored.
    const stored = { ...record, jti: storableText(record.jti), issuer: storableText(record.issuer) };
    return new Promise((resolve, reject) => {
      this.pending.push({ record: stored, abandoned, resolve, reject });
      this.pump();
    });
  }

  private pump() {
    while (this.inFlight < this.maxInFlight && this.pending.length) {
      // The same (issuer, jti) twice in one statement would make ON CONFLICT ambiguous: later copies wait for the next batch.
      const batch: Pending[] = [];
      const later: Pending[] = [];
      const keys = new Set<string>();
      for (const item of this.pending) {
        // Answered 503 while it waited (the database froze): its jti stays unused (SPEC §13).
        if (item.abandoned?.()) {
          item.reject(new RecordAbandoned());
          continue;
        }
        const key = `${item.record.issuer}\u0000${item.record.jti}`;
        if (batch.length >= MAX_BATCH || keys.has(key)) later.push(item);
        else {
          keys.add(key);
          batch.push(item);
        }
      }
      this.pending = later;
      if (!batch.length) break;
      observeRecorderBatch(batch.length);
      this.inFlight++;
      this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /**
   * One statement for the batch. When the statement itself fails (one record's data, not the
   * database), nothing of it was written (one transaction): the batch is split in halves and each
   * retried, down to the single record that fails, which alone is refused. So a poisoned exchange
   * never fails the others, at the cost of about 2·log2(n) extra statements, not n.
   */
  private async run(batch: Pending[]): Promise<void> {
    try {
      const records = batch.map((p) => p.record);
      const rows = rowsOf(
        this.executeArrays ? await this.executeArrays(ARRAY_STATEMENT, arrayParams(records)) : await this.execute(statement(records)),
      );
      const byIndex = new Map(rows.map((r) => [Number(r.n), r.recorded === true || r.recorded === "t"]));
      batch.forEach((item, i) => {
        const recorded = byIndex.get(i);
        item.resolve({ current: recorded !== undefined, recorded: recorded === true });
      });
    } catch (error) {
      if (!statementError(error)) for (const item of batch) item.reject(error);
      else if (batch.length === 1) batch[0]?.reject(new RecordRefused(error));
      else {
        const half = Math.ceil(batch.length / 2);
        await this.run(batch.slice(0, half));
        await this.run(batch.slice(half));
      }
    }
  }
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
function statement(records: ExchangeRecord[]): SQL {
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
const ARRAY_STATEMENT = `
  with input as (
    select * from unnest($1::int[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[]::timestamptz[], $7::uuid[], $8::text[], $9::text[], $10::text[]::jsonb[], $11::text[], $12::text[], $13::text[])
      as t (n, connection_id, version, issuer, jti, expires_at, org_id, actor_id, actor_name, details, ip, repo_key, repository)
  )${RECORD_REST}`;

function arrayParams(records: ExchangeRecord[]): unknown[] {
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
