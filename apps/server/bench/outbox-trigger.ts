/**
 * What the webhook outbox trigger costs an event insert (SPEC §12): N events inserted in one
 * statement without the trigger, with no webhook, with a webhook not subscribed to their type, and with one that is
 * (each then also writes a delivery row). Best of 3 runs each.
 *
 *   cd apps/server && DATABASE_URL=postgres://postgres@127.0.0.1:5432/test nice pnpm exec tsx bench/outbox-trigger.ts [N] [postgres|pglite]
 */
import { sql } from "drizzle-orm";
import { createTestApp } from "../test/support/harness";

const n = Number(process.argv[2] ?? 50_000);
const kind = (process.argv[3] ?? "postgres") as "pglite" | "postgres";
const t = await createTestApp(kind);
const db = t.deps.database.db;
const insert = () =>
  db.execute(sql`insert into events (org_id, connection_id, type, actor_type, actor_name, outcome, details)
    select o.id, gen_random_uuid(), 'token.exchanged', 'workflow', 'wf', 'success', '{"repository":"octo-org/api"}'
    from organizations o, generate_series(1, ${n}) where o.slug = 'octo-org'`);
async function best(label: string) {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await insert();
    min = Math.min(min, performance.now() - started);
  }
  console.log(`${kind} ${label}: ${n} events in ${min.toFixed(0)} ms = ${((min * 1000) / n).toFixed(1)} µs per event`);
}
await db.execute(sql`alter table events disable trigger events_webhook_outbox`);
await best("no trigger (baseline)");
await db.execute(sql`alter table events enable trigger events_webhook_outbox`);
await best("no webhook");
const seal = { v: 1, kek: "x", alg: "A256GCM", iv: "x", tag: "x", ct: "x" };
await db.execute(sql`insert into webhooks (org_id, url, events, secret)
  select id, 'http://127.0.0.1:9/', array['token.denied'], ${JSON.stringify(seal)}::jsonb from organizations where slug = 'octo-org'`);
await best("webhook, other types");
await db.execute(sql`update webhooks set events = array['token.exchanged']`);
await best("webhook subscribed (a delivery row each)");
await t.close();
