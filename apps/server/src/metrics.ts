import cluster from "node:cluster";
import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * What an operator watches (docs/operations.md), in the Prometheus text format. Every other module
 * reports here with one call; nothing here reads a request, a URL or a token, and every label has a
 * bounded set of values (a route as registered, a status code, a denial reason code, a trusted
 * issuer), so an unknown path or a hostile token never creates a series.
 *
 * One registry per process. With WORKERS > 1 each worker answers its primary's request for its
 * series (prom-client's cluster messages) and the primary serves their aggregate on METRICS_PORT.
 */
export const registry = new Registry();
AggregatorRegistry.setRegistries([registry]);

let enabled = true;
let defaultsStarted = false;

/**
 * METRICS=0: nothing is counted (each hook returns at once) and /metrics is not served. On by
 * default: the cost is measured in docs/operations.md. Process-wide, like the registry.
 */
export function configureMetrics(on: boolean) {
  enabled = on;
  if (on && !defaultsStarted) {
    defaultsStarted = true;
    // Process CPU, memory, GC, handles, and the event-loop lag (a histogram sampled by Node itself).
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
    // A cluster worker answers its primary's requests for its series (prom-client listens for them
    // once an AggregatorRegistry exists in the process).
    if (cluster.isWorker) new AggregatorRegistry();
  }
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

const requestDuration = new Histogram({
  name: "http_request_duration_seconds",
  help: "Time to answer a request, by method, route as registered (not the URL) and status",
  labelNames: ["method", "route", "status"] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

/** `route` is Hono's `routePath(c)`: a path as registered (`/api/orgs/:org/…`, or `*` for the rest). */
export function observeRequest(method: string, route: string, status: number, seconds: number) {
  if (!enabled) return;
  requestDuration.observe({ method: METHODS.has(method) ? method : "other", route, status: String(status) }, seconds);
}

const exchanges = new Counter({
  name: "oidc_token_exchanges_total",
  help: "Token exchanges (POST /oauth/token) by outcome (issued; denied: 4xx, rate limits included; unavailable: 503; error: 500) and reason code (none when issued)",
  labelNames: ["outcome", "reason"] as const,
  registers: [registry],
});

/** An exchange answered: 200 with a token, or the TokenError's status and denial reason code. */
export function countExchange(status: number, reason = "none") {
  if (!enabled) return;
  const outcome = status === 200 ? "issued" : status === 503 ? "unavailable" : status >= 500 ? "error" : "denied";
  exchanges.inc({ outcome, reason });
}

const jwksFetches = new Counter({
  name: "oidc_jwks_fetches_total",
  help: "Fetches of a trusted issuer's discovery document and JWKS, by issuer and result (ok, error)",
  labelNames: ["issuer", "result"] as const,
  registers: [registry],
});

/** When each issuer's keys were last fetched successfully (ms since the epoch). */
const jwksFetchedAt = new Map<string, number>();

new Gauge({
  name: "oidc_jwks_cache_age_seconds",
  help: "Seconds since the issuer's keys were last fetched successfully (the oldest across workers)",
  labelNames: ["issuer"] as const,
  aggregator: "max",
  registers: [registry],
  collect() {
    this.reset();
    const now = Date.now();
    for (const [issuer, at] of jwksFetchedAt) this.set({ issuer }, (now - at) / 1000);
  },
});

/** One fetch cycle of an issuer's keys ended (issuers are trusted ones only: a bounded label). */
export function countJwksFetch(issuer: string, ok: boolean) {
  if (!enabled) return;
  jwksFetches.inc({ issuer, result: ok ? "ok" : "error" });
  if (ok) jwksFetchedAt.set(issuer, Date.now());
}

const waitingRequests = new Gauge({
  name: "oidc_database_waiting_requests",
  help: "Requests waiting on the database now (their calls queued for a connection or running); well above oidc_database_pool_size, they queue for a connection",
  registers: [registry],
});
const poolSize = new Gauge({
  name: "oidc_database_pool_size",
  help: "Connections the process may open to PostgreSQL (DATABASE_POOL_SIZE; 1 for the embedded PGlite)",
  aggregator: "sum",
  registers: [registry],
});

export function setDatabasePoolSize(size: number) {
  if (enabled) poolSize.set(size);
}

/** A request starts waiting on the database (db/deadline.ts); call the returned function when it stops. */
export function databaseWaitStarted(): () => void {
  if (!enabled) return noop;
  waitingRequests.inc();
  return databaseWaitEnded;
}
const databaseWaitEnded = () => waitingRequests.dec();
const noop = () => {};

/** The token service's bounded queue in front of the database (token/gate.ts). */
interface GateLike {
  readonly running: number;
  readonly queued: number;
}
const gates = new Set<WeakRef<GateLike>>();

new Gauge({
  name: "oidc_exchange_database_gate",
  help: "The token service's database work: running (at most DATABASE_POOL_SIZE) and queued behind it",
  labelNames: ["state"] as const,
  registers: [registry],
  collect() {
    let running = 0;
    let queued = 0;
    for (const ref of gates) {
      const gate = ref.deref();
      if (!gate) gates.delete(ref);
      else {
        running += gate.running;
        queued += gate.queued;
      }
    }
    this.set({ state: "running" }, running);
    this.set({ state: "queued" }, queued);
  },
});

export function watchGate(gate: GateLike) {
  gates.add(new WeakRef(gate));
}

const recorderBatch = new Histogram({
  name: "oidc_exchange_recorder_batch_size",
  help: "Exchanges recorded per statement (group commit): the replay claims and token.exchanged events written together",
  buckets: [1, 2, 4, 8, 16, 32, 64, 100],
  registers: [registry],
});

export function observeRecorderBatch(size: number) {
  if (enabled) recorderBatch.observe(size);
}

/** The text a scrape gets, and its content type. */
export async function metricsText(): Promise<{ body: string; contentType: string }> {
  return { body: await registry.metrics(), contentType: registry.contentType };
}

/** In a cluster's primary: every worker's series, summed (or as each metric's aggregator says). */
export function clusterMetricsScraper(): () => Promise<{ body: string; contentType: string }> {
  const aggregator = new AggregatorRegistry();
  return async () => ({ body: await aggregator.clusterMetrics(), contentType: aggregator.contentType });
}
