import type { AuditEvent } from "@oidc/shared";
import { and, desc, eq, gte, inArray, lt, type SQL } from "drizzle-orm";
import { serialiseEvent } from "../audit/events";
import type { Executor } from "../db/client";
import { events } from "../db/schema";

export interface OrgEventFilter {
  type?: string[] | undefined;
  outcome?: "success" | "failure" | undefined;
  connectionId?: string | undefined;
  /** Inclusive. */
  since?: string | undefined;
  /** Exclusive: `since=…T00:00Z&until=…(next day)T00:00Z` is one day. */
  until?: string | undefined;
}

function where(orgId: string, filter: OrgEventFilter, before?: number): SQL | undefined {
  return and(
    eq(events.orgId, orgId),
    filter.type?.length ? inArray(events.type, filter.type) : undefined,
    filter.outcome ? eq(events.outcome, filter.outcome) : undefined,
    filter.connectionId ? eq(events.connectionId, filter.connectionId) : undefined,
    filter.since ? gte(events.createdAt, new Date(filter.since)) : undefined,
    filter.until ? lt(events.createdAt, new Date(filter.until)) : undefined,
    before !== undefined ? lt(events.id, before) : undefined,
  );
}

/**
 * One page of the organisation's events (SPEC §12), newest first, keyset-paginated on the id
 * (`events_org_idx`): every connection's, deleted ones included, and the org's own.
 */
export async function listOrgEvents(db: Executor, orgId: string, filter: OrgEventFilter, limit: number, cursor?: string) {
  const rows = await db
    .select()
    .from(events)
    .where(where(orgId, filter, cursor === undefined ? undefined : Number(cursor)))
    .orderBy(desc(events.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(serialiseEvent), nextCursor: rows.length > limit && last ? String(last.id) : null };
}

export const EXPORT_BATCH = 1000;

/** Every event of the filter, newest first, in keyset batches: one batch in memory at a time. */
export async function* orgEventBatches(db: Executor, orgId: string, filter: OrgEventFilter, batch = EXPORT_BATCH) {
  let before: number | undefined;
  for (;;) {
    const rows = await db
      .select()
      .from(events)
      .where(where(orgId, filter, before))
      .orderBy(desc(events.id))
      .limit(batch);
    if (rows.length === 0) return;
    yield rows.map(serialiseEvent);
    if (rows.length < batch) return;
    before = rows[rows.length - 1]?.id;
  }
}

export const CSV_COLUMNS = [
  "id",
  "createdAt",
  "type",
  "outcome",
  "reason",
  "connectionId",
  "actorType",
  "actorId",
  "actorName",
  "ip",
  "details",
] as const;

/**
 * One CSV cell (RFC 4180): quoted when it holds a quote, comma or line break. A cell a spreadsheet
 * would run as a formula (starting with = + - @, or a tab or carriage return) gets a leading `'`
 * first (OWASP CSV injection): the text of events is chosen by callers (claims of any token).
 */
export function csvCell(value: string | null): string {
  if (value === null) return "";
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function csvRow(event: AuditEvent): string {
  const cells = [
    event.id,
    event.createdAt,
    event.type,
    event.outcome,
    event.reason,
    event.connectionId,
    event.actor.type,
    event.actor.id,
    event.actor.name,
    event.ip,
    JSON.stringify(event.details),
  ];
  return `${cells.map(csvCell).join(",")}\r\n`;
}

/**
 * The filtered set as a byte stream (CSV with a header row, or NDJSON), pulled batch by batch
 * from the database as the client reads: memory holds one batch, whatever the size of the set.
 */
export function exportStream(db: Executor, orgId: string, filter: OrgEventFilter, format: "csv" | "ndjson"): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const batches = orgEventBatches(db, orgId, filter);
  let started = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!started && format === "csv") {
          started = true;
          controller.enqueue(encoder.encode(`${CSV_COLUMNS.join(",")}\r\n`));
          return;
        }
        started = true;
        const next = await batches.next();
        if (next.done) {
          controller.close();
          return;
        }
        const text = next.value.map((e) => (format === "csv" ? csvRow(e) : `${JSON.stringify(e)}\n`)).join("");
        controller.enqueue(encoder.encode(text));
      },
      async cancel() {
        await batches.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}
