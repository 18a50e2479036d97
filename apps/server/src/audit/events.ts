import { AUDIT_WINDOW_DAYS, type AuditEvent, type AuditSummary, type Connection, type EventBody, type EventKind } from "@oidc/shared";
import { and, desc, eq, like, lt, ne, notLike, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../db/client";
import { events } from "../db/schema";

export type Actor =
  | { type: "user"; id: string; name: string }
  | { type: "workflow"; id: string | null; name: string }
  | { type: "api_token"; id: string; name: string };

/** Who may change an organisation's configuration: a signed-in user or an API token (SPEC §10). */
export type AdminActor = Extract<Actor, { type: "user" | "api_token" }>;

/** The user to record in `createdBy`/`updatedBy`: none for an API token (its events name it). */
export const userIdOf = (actor: AdminActor) => (actor.type === "user" ? actor.id : null);

/** An event of the shared contract (`EventBody`): its type, outcome, reason and details; no reason needed where it is null. */
export type EventInput = EventBody extends infer E ? (E extends { reason: null } ? Omit<E, "reason"> & { reason?: null } : E) : never;

/** One event to record: tsc refuses a type, reason or detail field that is not in the contract. */
export type NewEvent = EventInput & {
  orgId: string;
  connectionId: string | null;
  actor: Actor;
  ip?: string | null;
};

/** Appends one audit event; call it with the transaction that makes the change it records. */
export async function recordEvent(db: Executor, event: NewEvent): Promise<void> {
  await db.insert(events).values(toRow(event));
}

/**
 * Text PostgreSQL can store: `text` and `jsonb` cannot hold U+0000, and `jsonb` refuses lone
 * surrogates; both become U+FFFD REPLACEMENT CHARACTER (visible, and never mistaken for the
 * original). Events carry callers' strings (claims of any token, forged ones included).
 */
export function storableText(text: string): string {
  return text.toWellFormed().replaceAll("\u0000", "\ufffd");
}

/** `storableText` through a JSON-like value: strings in arrays and plain objects (keys included); a Date or other value as it is. */
export function storable(value: unknown): unknown {
  if (typeof value === "string") return storableText(value);
  if (Array.isArray(value)) return value.map(storable);
  if (typeof value === "object" && value !== null && [Object.prototype, null].includes(Object.getPrototypeOf(value)))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storable(v)]));
  return value;
}

const storableOrNull = (text: string | null | undefined) => (text == null ? null : storableText(text));

/** The row of an event; every string the caller could have chosen is made storable. */
export function toRow(event: NewEvent): typeof events.$inferInsert {
  return {
    orgId: event.orgId,
    connectionId: event.connectionId,
    type: event.type,
    actorType: event.actor.type,
    actorId: storableOrNull(event.actor.id),
    actorName: storableText(event.actor.name),
    outcome: event.outcome,
    reason: event.reason ?? null,
    details: storable(event.details) as Record<string, unknown>,
    ip: storableOrNull(event.ip),
  };
}

export function serialiseEvent(row: typeof events.$inferSelect): AuditEvent {
  return {
    id: String(row.id),
    connectionId: row.connectionId,
    type: row.type,
    actor: { type: row.actorType, id: row.actorId, name: row.actorName },
    outcome: row.outcome,
    reason: row.reason,
    details: row.details,
    ip: row.ip,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Events of one kind: `changes` are the connection's own (`connection.*`); every other event is a
 * token request (the token endpoint's, and any later service's), `exchanged` when it succeeded.
 */
function kindFilter(kind: EventKind | undefined): SQL | undefined {
  if (kind === undefined) return undefined;
  if (kind === "changes") return like(events.type, "connection.%");
  // token.first_use (SPEC §12) marks an exchange already listed as token.exchanged: not one more.
  return and(
    notLike(events.type, "connection.%"),
    ne(events.type, "token.first_use"),
    eq(events.outcome, kind === "exchanged" ? "success" : "failure"),
  );
}

/** Newest first, keyset-paginated on the event id; optionally of one kind. */
export async function listConnectionEvents(
  db: Executor,
  orgId: string,
  connectionId: string,
  limit: number,
  cursor?: string,
  kind?: EventKind,
) {
  const before = cursor && /^[0-9]{1,18}$/.test(cursor) ? Number(cursor) : undefined;
  const rows = await db
    .select()
    .from(events)
    .where(
      and(
        eq(events.orgId, orgId),
        eq(events.connectionId, connectionId),
        before !== undefined ? lt(events.id, before) : undefined,
        kindFilter(kind),
      ),
    )
    .orderBy(desc(events.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(serialiseEvent), nextCursor: rows.length > limit && last ? String(last.id) : null };
}

const MAX_AUDIT_REPOSITORIES = 20;

/**
 * Per audit ruleset of the connection (SPEC §11): how many token exchanges, granted or refused, it
 * would have matched in the last 30 days, the last one, and their repositories. Reads only the
 * events that carry `details.audit`, through the partial index `events_audit_idx` on
 * (connection_id, created_at): the cost grows with the audited traffic of this connection in the
 * window, not with the event table. Rulesets are matched by label (events record labels).
 */
export async function auditSummary(db: Executor, orgId: string, connection: Connection): Promise<AuditSummary> {
  const since = new Date(Date.now() - AUDIT_WINDOW_DAYS * 24 * 3600 * 1000);
  const audited = connection.rulesets.filter((r) => r.mode === "audit");
  if (!audited.length) return { since: since.toISOString(), rulesets: [] };
  const result = await db.execute(sql`
    select a.label,
           count(*)::int as matches,
           max(e.created_at) as last_at,
           (array_agg(coalesce(e.details->>'repository', e.details->'job'->>'repository') order by e.created_at desc)
              filter (where coalesce(e.details->>'repository', e.details->'job'->>'repository') is not null)) as repositories
    from ${events} e
    cross join lateral jsonb_array_elements_text(e.details->'audit') as a(label)
    where e.connection_id = ${connection.id}::uuid and e.org_id = ${orgId}::uuid
      and (e.details -> 'audit') is not null and e.created_at >= ${since.toISOString()}::timestamptz
      and jsonb_typeof(e.details->'audit') = 'array'
    group by a.label`);
  const rows = (Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? [])) as {
    label: string;
    matches: number;
    last_at: Date | string | null;
    repositories: string[] | null;
  }[];
  const byLabel = new Map(rows.map((r) => [r.label, r]));
  return {
    since: since.toISOString(),
    rulesets: audited.map((r) => {
      const row = byLabel.get(r.label);
      return {
        id: r.id,
        label: r.label,
        matches: row ? Number(row.matches) : 0,
        lastMatchedAt: row?.last_at ? new Date(row.last_at).toISOString() : null,
        repositories: [...new Set(row?.repositories ?? [])].slice(0, MAX_AUDIT_REPOSITORIES),
      };
    }),
  };
}
