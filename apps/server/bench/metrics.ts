/**
 * What /metrics costs (docs/operations.md "What it costs"): the hooks an exchange calls, alone, and
 * the real exchange path in this process (embedded PGlite) with metrics on and off, interleaved.
 *
 *   cd apps/server && npx tsx bench/metrics.ts        # METRICS_AB_N=300 exchanges per run, 4 rounds
 *
 * In-process on purpose: on a shared machine only ratios measured side by side mean anything. The
 * default metrics (event-loop monitor, GC observer) keep running once started, so the "off" runs
 * of the second part include them; the first part shows their absence (`METRICS=0` never starts them).
 */
import { loadavg } from "node:os";
import { configureMetrics, countExchange, databaseWaitStarted, metricsText, observeRecorderBatch, observeRequest } from "../src/metrics";
import { createExchangeFixture, DEV_ISSUER_URL, exchangeParams, exchangeToken, mintIdToken } from "../test/support/harness";

const ITERATIONS = 1_000_000;
const N = Number(process.env.METRICS_AB_N ?? 300);

/** What one exchange reports: its request's latency, its outcome, its wait on the database, a share of a recorder batch. */
function hooksOfOneExchange() {
  observeRequest("POST", "/oauth/token", 200, 0.012);
  countExchange(200);
  databaseWaitStarted()();
  observeRecorderBatch(8);
}

function hooks(on: boolean) {
  configureMetrics(on);
  for (let i = 0; i < 100_000; i++) hooksOfOneExchange();
  const c0 = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i++) hooksOfOneExchange();
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / ITERATIONS;
}

console.log(`hooks, metrics off: ${hooks(false).toFixed(0)} ns CPU per exchange`);
console.log(`hooks, metrics on:  ${hooks(true).toFixed(0)} ns CPU per exchange`);
const s0 = process.cpuUsage();
for (let i = 0; i < 20; i++) await metricsText();
const s = process.cpuUsage(s0);
console.log(`scrape: ${((s.user + s.system) / 20 / 1000).toFixed(2)} ms CPU, ${(await metricsText()).body.length} bytes`);

const { t, createConnection } = await createExchangeFixture("pglite");
const { id: connectionId } = await createConnection({
  name: "Metrics bench",
  issuer: DEV_ISSUER_URL,
  rulesets: [{ label: "main", subject: "repo:octo-org/api:ref:refs/heads/main", resources: ["octo-org/api"], scopes: ["pull"] }],
});

async function exchanges(on: boolean) {
  configureMetrics(on);
  const bodies: ReturnType<typeof exchangeParams>[] = [];
  for (let i = 0; i < N; i++) bodies.push(exchangeParams(connectionId, await mintIdToken(t.app)));
  const c0 = process.cpuUsage();
  for (const body of bodies) {
    const res = await exchangeToken(t.app, body);
    if (res.status !== 200) throw new Error(`exchange answered ${res.status}`);
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / N;
}

await exchanges(true); // warm-up
const ratios: number[] = [];
for (let round = 1; round <= 4; round++) {
  const on = await exchanges(true);
  const off = await exchanges(false);
  ratios.push(on / off);
  console.log(
    `round ${round}: ${on.toFixed(2)} ms CPU per exchange with metrics, ${off.toFixed(2)} without: ratio ${(on / off).toFixed(2)} (load ${loadavg()[0]?.toFixed(1)})`,
  );
}
ratios.sort((a, b) => a - b);
console.log(`median ratio ${((ratios[1] ?? 0) / 2 + (ratios[2] ?? 0) / 2).toFixed(2)}`);
await t.close();
