import cluster from "node:cluster";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { serve } from "@hono/node-server";
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { createApp } from "./app";
import { printStartupBanner } from "./banner";
import { type DatabaseHandle, openDatabase } from "./db/client";
import { DATABASE_DEADLINE_MS, RequestScope, requestScope } from "./db/deadline";
import type { Env } from "./env";
import type { Deps } from "./http/context";
import { closeRateLimitStores } from "./http/rate-limit";
import { keyringOf } from "./keys/vault";
import { clusterMetricsScraper, metricsText } from "./metrics";
import { registryCaName } from "./registry/service";
import { privateMetricsApp } from "./routes/metrics";
import { seedDemo } from "./seed";
import { ensureDevIssuerKey, ensureRegistryCa, ensureSigningKey, sealKeysAtRest } from "./token/keys";
import { startBackground } from "./webhooks/background";

export interface Started {
  url: string;
  port: number;
  deps: Deps;
  server: Server;
  /** The METRICS_PORT listener's port, when there is one (docs/operations.md). */
  metricsPort?: number | undefined;
  /**
   * Graceful stop (SPEC §13): stops accepting, answers in-flight requests with `Connection: close`,
   * closes idle keep-alive connections at once, waits for the rest up to `graceMs` (default
   * SHUTDOWN_GRACE), then closes the database.
   */
  stop(graceMs?: number): Promise<void>;
}

/** Opens the database, migrates, seeds the demo when empty, and listens. */
export async function startServer(env: Env, log: Logger, database?: DatabaseHandle): Promise<Started> {
  const db = database ?? (await openDatabase({ databaseUrl: env.databaseUrl, dataDir: env.dataDir, poolSize: env.databasePoolSize }));
  await db.migrate();
  // PGlite has no autovacuum daemon: without statistics its planner sorts whole tables.
  if (db.kind === "pglite") await db.db.execute(sql`analyze`);
  const deps: Deps = { env, database: db, log };
  // Private keys are sealed at rest (SPEC §13): clear rows are sealed now; a key that will not open
  // stops start-up, before the demo seed prints a password that a failed start would lose.
  const keyring = keyringOf(env);
  const atRest = await sealKeysAtRest(db.db, keyring);
  log.info({ kek: keyring.current.id, kekSource: keyring.source, sealed: atRest.sealed.length }, "signing keys sealed at rest");
  if (atRest.underOldKeys) log.warn({ keys: atRest.underOldKeys }, "signing keys sealed under an old key-encryption key: run keys:rewrap");
  const seed = await seedDemo(db.db, env, log);
  // The access-token signing key (SPEC §6.3), and the development issuer's key when it is on.
  await ensureSigningKey(db.db, keyring);
  // The registry CA (SPEC §9): created once, before workers start, so they all share it.
  await ensureRegistryCa(db.db, registryCaName(env), keyring);
  if (env.devIssuer) await ensureDevIssuerKey(db.db, keyring);
  if (env.workers > 1 && cluster.isPrimary) {
    if (db.kind === "postgres") return startWorkers(env, log, deps);
    log.warn({ workers: env.workers }, "WORKERS > 1 needs DATABASE_URL (embedded PGlite is single-process); running one process");
  }
  const app = createApp(deps);
  // Requests in flight: each until its handler has settled (also for clients that went away: it
  // may still use the database) and its response is closed.
  const inFlight = new Map<ServerResponse, RequestScope>();
  let stopRequested = false;
  // Background work of a serving process: the webhook outbox's delivery worker (SPEC §12).
  const background = startBackground(deps);
  let drained: (() => void) | undefined;
  const settle = (outgoing: ServerResponse) => {
    inFlight.delete(outgoing);
    if (inFlight.size === 0) drained?.();
  };
  const fetch = (request: Request, env: { incoming: IncomingMessage; outgoing: ServerResponse }) => {
    const scope = new RequestScope();
    const { outgoing } = env;
    inFlight.set(outgoing, scope);
    // SPEC §13: a request served while stopping is answered with `Connection: close`.
    if (stopRequested) outgoing.shouldKeepAlive = false;
    let open = 2;
    const one = () => {
      if (--open === 0) settle(outgoing);
    };
    outgoing.once("close", one);
    outgoing.once("finish", () => {
      // A kept-alive socket that became idle after its answer is closed at once when stopping.
      if (stopRequested) setImmediate(() => server.closeIdleConnections());
    });
    return requestScope.run(scope, async () => {
      try {
        return await app.fetch(request, env);
      } finally {
        one();
      }
    });
  };
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: fetch as typeof app.fetch, port: env.port, hostname: env.host }, () => resolve(s as Server));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : env.port;
  log.info({ port, database: db.kind, publicUrl: env.publicUrl, devIssuer: env.devIssuer }, "listening");
  // A cluster's workers leave METRICS_PORT to their primary, which serves all of them.
  const metricsServer = cluster.isWorker ? undefined : await listenMetrics(env, log, metricsText);
  // Outside production: where to open the console and how to sign in (a generated password is shown here once, never logged).
  await printStartupBanner(env, db, port, seed);
  let stopping: Promise<void> | undefined;
  const allDone = () => (inFlight.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve)));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    deps,
    server,
    metricsPort: metricsServer?.port,
    stop(graceMs = env.shutdownGraceSeconds * 1000) {
      stopping ??= (async () => {
        // SPEC §13 graceful stop: stop accepting; answers still to be written say `Connection: close`;
        // idle keep-alive connections are closed at once, the others as soon as their answer is out.
        stopRequested = true;
        const t0 = performance.now();
        const since = () => Math.round(performance.now() - t0);
        log.info({ inFlight: inFlight.size, graceMs }, "stopping: no new connections; finishing the requests in flight");
        for (const outgoing of inFlight.keys()) if (!outgoing.headersSent) outgoing.shouldKeepAlive = false;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (!(await within(allDone(), graceMs))) {
          // Grace is over: cut what is left, except exchanges whose jti is being recorded and
          // COMMITs in flight, whose answers are written first (bounded by the database deadline).
          const kept: string[] = [];
          const cut: string[] = [];
          for (const [outgoing, scope] of inFlight) {
            const what = `${outgoing.req.method} ${outgoing.req.url?.split("?")[0]}`;
            if (scope.mustFinish) kept.push(what);
            else {
              cut.push(what);
              outgoing.socket?.destroy();
            }
          }
          log.warn({ cut, kept }, "shutdown grace over: closing the connections left, but for answers that must be written");
          await within(allDone(), DATABASE_DEADLINE_MS + 2000);
          server.closeAllConnections();
          // Handlers of the cut requests may still be finishing their database work.
          await within(allDone(), DATABASE_DEADLINE_MS + 2000);
        }
        log.info({ ms: since() }, "stopping: requests finished");
        server.closeAllConnections();
        await closed;
        await metricsServer?.close();
        await background.stop();
        await closeRateLimitStores();
        await db.close();
        log.info({ ms: since() }, "stopping: database closed");
      })();
      return stopping;
    },
  };
}

/** Whether `promise` settled within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * WORKERS > 1 (PostgreSQL only): this primary process has migrated, seeded and created the keys;
 * it forks that many workers, which share the port (node:cluster) and serve everything; the
 * server is stateless apart from PostgreSQL, so they need nothing else in common. A worker that
 * dies is replaced. `stop()` asks every worker to finish its in-flight requests. The primary's
 * `server` never listens.
 */
async function startWorkers(env: Env, log: Logger, deps: Deps): Promise<Started> {
  let stopping: Promise<void> | undefined;
  let port = env.port;
  const fork = () => {
    const worker = cluster.fork();
    worker.on("exit", (code, signal) => {
      if (stopping) return;
      log.error({ worker: worker.id, code, signal }, "worker exited; starting another");
      fork();
    });
    return worker;
  };
  const workers = Array.from({ length: env.workers }, fork);
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          worker.once("listening", (address) => {
            port = address.port;
            resolve();
          });
          worker.once("exit", (code) => reject(new Error(`worker exited during start-up (${code})`)));
        }),
    ),
  );
  log.info({ port, workers: env.workers, publicUrl: env.publicUrl }, "listening (cluster)");
  const metricsServer = await listenMetrics(env, log, clusterMetricsScraper());
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    deps,
    server: createServer(),
    metricsPort: metricsServer?.port,
    stop(graceMs = env.shutdownGraceSeconds * 1000) {
      stopping ??= (async () => {
        const live = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
        await Promise.all(
          live.map(
            (worker) =>
              new Promise<void>((resolve) => {
                if (worker.isDead()) return resolve();
                // Each worker drains as a single server does (SHUTDOWN_GRACE from the same environment).
                // A worker's own stop ends at most 2 × (deadline + 2 s) + 2 s after the grace.
                const timer = setTimeout(() => worker.process.kill("SIGKILL"), graceMs + 2 * (DATABASE_DEADLINE_MS + 2000) + 4000);
                worker.once("exit", () => {
                  clearTimeout(timer);
                  resolve();
                });
                worker.process.kill("SIGTERM");
              }),
          ),
        );
        await metricsServer?.close();
        await deps.database.close();
      })();
      return stopping;
    },
  };
}

/** METRICS_PORT (docs/operations.md): `/metrics` on a listener of its own, on METRICS_HOST (127.0.0.1 by default). */
async function listenMetrics(
  env: Env,
  log: Logger,
  scrape: () => Promise<{ body: string; contentType: string }>,
): Promise<{ port: number; close(): Promise<void> } | undefined> {
  const { port, host } = env.metrics;
  if (port === undefined) return undefined;
  const app = privateMetricsApp(scrape, (err) => log.warn({ err }, "metrics: could not collect"));
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s as Server));
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  log.info({ port: bound, host }, "metrics listening");
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
