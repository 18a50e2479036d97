import cluster from "node:cluster";
import { createServer, type Server } from "node:http";
import { serve } from "@hono/node-server";
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { createApp } from "./app";
import { printStartupBanner } from "./banner";
import { type DatabaseHandle, openDatabase } from "./db/client";
import type { Env } from "./env";
import type { Deps } from "./http/context";
import { keyringOf } from "./keys/vault";
import { registryCaName } from "./registry/service";
import { seedDemo } from "./seed";
import { ensureDevIssuerKey, ensureRegistryCa, ensureSigningKey, sealKeysAtRest } from "./token/keys";
import { startBackground } from "./webhooks/background";

export interface Started {
  url: string;
  port: number;
  deps: Deps;
  server: Server;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes the database. */
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
  // Background work of a serving process: the webhook outbox's delivery worker (SPEC §12).
  const background = startBackground(deps);
  // Handlers still running (also for clients that went away) hold the database open on stop.
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const fetch: typeof app.fetch = async (request, ...rest) => {
    inFlight++;
    try {
      return await app.fetch(request, ...rest);
    } finally {
      if (--inFlight === 0) drained?.();
    }
  };
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch, port: env.port, hostname: env.host }, () => resolve(s as Server));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : env.port;
  log.info({ port, database: db.kind, publicUrl: env.publicUrl, devIssuer: env.devIssuer }, "listening");
  // Outside production: where to open the console and how to sign in (a generated password is shown here once, never logged).
  await printStartupBanner(env, db, port, seed);
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    deps,
    server,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        await closed;
        if (inFlight > 0) {
          const idle = new Promise<void>((resolve) => {
            drained = resolve;
          });
          await Promise.race([idle, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
        }
        clearTimeout(timer);
        await background.stop();
        await db.close();
      })();
      return stopping;
    },
  };
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
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    deps,
    server: createServer(),
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        const live = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
        await Promise.all(
          live.map(
            (worker) =>
              new Promise<void>((resolve) => {
                if (worker.isDead()) return resolve();
                const timer = setTimeout(() => worker.process.kill("SIGKILL"), graceMs + 1000);
                worker.once("exit", () => {
                  clearTimeout(timer);
                  resolve();
                });
                worker.process.kill("SIGTERM");
              }),
          ),
        );
        await deps.database.close();
      })();
      return stopping;
    },
  };
}
