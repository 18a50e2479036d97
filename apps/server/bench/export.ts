/**
 * Export memory (SPEC §12, issue #13): N events (default 100,000) in one org, exported as CSV and
 * NDJSON through the real app; RSS and heap before, at their highest while streaming, and after.
 * Memory stays flat when the export is streamed batch by batch instead of built in memory.
 *
 *   cd apps/server && nice pnpm exec tsx --expose-gc bench/export.ts [N] [pglite|postgres]
 *
 * postgres needs DATABASE_URL (a database of its own is created and dropped).
 */
import { sql } from "drizzle-orm";
import { ADMIN, Client, createTestApp } from "../test/support/harness";

const n = Number(process.argv[2] ?? 100_000);
const kind = (process.argv[3] ?? "pglite") as "pglite" | "postgres";
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const gc = () => (globalThis as { gc?: () => void }).gc?.();

const t = await createTestApp(kind);
const db = t.deps.database.db;
await db.execute(sql`
  insert into events (org_id, connection_id, type, actor_type, actor_name, outcome, details, ip)
  select o.id, gen_random_uuid(), case when i % 5 = 0 then 'token.denied' else 'token.exchanged' end, 'workflow',
    'octo-org/api/.github/workflows/deploy.yml@refs/heads/main', case when i % 5 = 0 then 'failure' else 'success' end,
    jsonb_build_object('repository', 'octo-org/api', 'ref', 'refs/heads/main', 'runId', i::text, 'rulesets', jsonb_build_array('main'),
      'subject', 'repo:octo-org/api:ref:refs/heads/main', 'tokenId', md5(i::text)), '203.0.113.7'
  from organizations o, generate_series(1, ${n}) i where o.slug = 'octo-org'`);
await db.execute(sql`analyze events`);
const admin = new Client(t.app);
await admin.login(ADMIN);

for (const format of ["csv", "ndjson"] as const) {
  gc();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const started = performance.now();
  const res = await t.app.request(`/api/orgs/octo-org/events?format=${format}`, { headers: { cookie: admin.cookie } });
  let bytes = 0;
  let lines = 0;
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    for (const b of value) if (b === 10) lines++;
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }
  const ms = performance.now() - started;
  gc();
  const after = process.memoryUsage();
  console.log(
    `${kind} ${format}: ${lines} lines, ${mb(bytes)} in ${(ms / 1000).toFixed(1)} s | RSS before ${mb(before.rss)}, peak ${mb(peakRss)}, after ${mb(after.rss)} | heap before ${mb(before.heapUsed)}, peak ${mb(peakHeap)}, after ${mb(after.heapUsed)}`,
  );
}
await t.close();
