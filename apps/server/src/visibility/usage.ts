import type { Usage } from "@oidc/shared";
import { sql } from "drizzle-orm";
import type { Executor } from "../db/client";
import { rowsOf } from "../db/raw";

const iso = (v: unknown) => (v == null ? null : new Date(v as string).toISOString());

/**
 * SPEC §12 usage of one connection over the last `days` UTC days (today included). Every count
 * reads the connection's range of `events_usage_idx` (connection_id, created_at, type; token
 * events only), never the rest of the table: the cost grows with that connection's token events in
 * the window, not with the table.
 */
export async function connectionUsage(
  db: Executor,
  connection: { id: string; rulesets: { id: string; label: string; lastUsedAt: string | null }[] },
  days: number,
  now = new Date(),
): Promise<Usage> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const since = new Date(today - (days - 1) * 86_400_000).toISOString();
  const labels = connection.rulesets.map((r) => r.label);
  const [perDay, perRuleset, audit, fresh] = await Promise.all([
    db.execute(sql`
      select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as date,
        count(*) filter (where type = 'token.exchanged')::int as exchanged,
        count(*) filter (where type = 'token.denied')::int as denied
      from events
      where connection_id = ${connection.id}::uuid and created_at >= ${since}::timestamptz
        and type in ('token.exchanged', 'token.denied')
      group by 1`),
    db.execute(sql`
      select r.label, count(*)::int as exchanged
      from events e cross join lateral jsonb_array_elements_text(
        case when jsonb_typeof(e.details->'rulesets') = 'array' then e.details->'rulesets' else '[]'::jsonb end) as r(label)
      where e.connection_id = ${connection.id}::uuid and e.created_at >= ${since}::timestamptz and e.type = 'token.exchanged'
      group by 1`),
    // Audit mode (SPEC §11) records the ruleset(s) a token would have matched in details.audit: a
    // label, a list of labels, or an object naming them (ruleset / rulesets / label).
    labels.length === 0
      ? Promise.resolve([])
      : db.execute(sql`
      select l.label, count(*)::int as matches
      from unnest(array[${sql.join(
        labels.map((l) => sql`${l}::text`),
        sql`, `,
      )}]) as l(label)
      join events e on e.connection_id = ${connection.id}::uuid and e.created_at >= ${since}::timestamptz
        and e.type in ('token.exchanged', 'token.denied') and e.details ? 'audit'
        and (e.details->'audit' @> to_jsonb(l.label) or e.details->'audit'->'rulesets' @> to_jsonb(l.label)
          or e.details->'audit'->>'ruleset' = l.label or e.details->'audit'->>'label' = l.label)
      group by 1`),
    db.execute(sql`
      select repository, first_at from connection_repositories
      where connection_id = ${connection.id}::uuid and first_at >= now() - interval '7 days'
      order by first_at desc limit 100`),
  ]);
  const byDate = new Map(rowsOf(perDay).map((r) => [String(r.date), r]));
  const exchangedBy = new Map(rowsOf(perRuleset).map((r) => [String(r.label), Number(r.exchanged)]));
  const auditBy = new Map(rowsOf(audit).map((r) => [String(r.label), Number(r.matches)]));
  return {
    days: Array.from({ length: days }, (_, i) => {
      const date = new Date(Date.parse(since) + i * 86_400_000).toISOString().slice(0, 10);
      const row = byDate.get(date);
      return { date, exchanged: Number(row?.exchanged ?? 0), denied: Number(row?.denied ?? 0) };
    }),
    rulesets: connection.rulesets.map((r) => ({
      id: r.id,
      label: r.label,
      exchanged: exchangedBy.get(r.label) ?? 0,
      lastUsedAt: r.lastUsedAt,
      auditMatches: auditBy.get(r.label) ?? 0,
    })),
    newRepositories: rowsOf(fresh).map((r) => ({ repository: String(r.repository), firstUsedAt: iso(r.first_at) as string })),
  };
}
