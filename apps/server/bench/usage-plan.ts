/**
 * The query plans of usage and organisation activity (SPEC §12) on a table of N events spread over
 * 50 connections and 90 days: they read an index range, never the whole table.
 *
 *   cd apps/server && nice pnpm exec tsx bench/usage-plan.ts [N] [pglite|postgres]
 */
import { sql } from "drizzle-orm";
import { createTestApp } from "../test/support/harness";

const n = Number(process.argv[2] ?? 200_000);
const kind = (process.argv[3] ?? "pglite") as "pglite" | "postgres";
const t = await createTestApp(kind);
const db = t.deps.database.db;
const rowsOf = (r: unknown) => (Array.isArray(r) ? r : (r as { rows: Record<string, unknown>[] }).rows) as Record<string, unknown>[];
await db.execute(sql`
  insert into events (org_id, connection_id, type, actor_type, actor_name, outcome, details, created_at)
  select o.id, ('00000000-0000-4000-8000-' || lpad((i % 50)::text, 12, '0'))::uuid,
    case when i % 5 = 0 then 'token.denied' else 'token.exchanged' end, 'workflow', 'wf',
    case when i % 5 = 0 then 'failure' else 'success' end, '{"rulesets":["main"]}', now() - (i % 90) * interval '1 day'
  from organizations o, generate_series(1, ${n}) i where o.slug = 'octo-org'`);
await db.execute(sql`analyze events`);
const connection = "00000000-0000-4000-8000-000000000007";
const plans: [string, ReturnType<typeof sql>][] = [
  [
    "usage per day (30 days)",
    sql`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as date,
        count(*) filter (where type = 'token.exchanged')::int as exchanged, count(*) filter (where type = 'token.denied')::int as denied
      from events where connection_id = ${connection}::uuid and created_at >= now() - interval '30 days'
        and type in ('token.exchanged', 'token.denied') group by 1`,
  ],
  [
    "usage per ruleset (30 days)",
    sql`select r.label, count(*)::int from events e cross join lateral jsonb_array_elements_text(
        case when jsonb_typeof(e.details->'rulesets') = 'array' then e.details->'rulesets' else '[]'::jsonb end) as r(label)
      where e.connection_id = ${connection}::uuid and e.created_at >= now() - interval '30 days' and e.type = 'token.exchanged' group by 1`,
  ],
  [
    "org events, first page, type and outcome filters",
    sql`select * from events where org_id = (select id from organizations where slug = 'octo-org')
      and type in ('token.denied') and outcome = 'failure' order by id desc limit 51`,
  ],
];
for (const [name, query] of plans) {
  const plan = rowsOf(await db.execute(sql`explain (analyze, costs off, timing off, summary on) ${query}`));
  console.log(`--- ${kind}, ${n} events: ${name}`);
  for (const row of plan) console.log(Object.values(row)[0]);
}
await t.close();
