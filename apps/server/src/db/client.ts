import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite, type QueryOptions } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { currentScope, DATABASE_DEADLINE_MS, DeadlineExceeded } from "./deadline";
import { lockDataDir } from "./lock";
import { isReadStatement, pglitePreparedQuery } from "./pglite-prepared";
import * as schema from "./schema";

export type Schema = typeof schema;
/** Both drivers give a PgDatabase; code above this module does not know which one it has. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** Anything queries can run on: the database or an open transaction. */
export type Executor = Database | Transaction;

export interface DatabaseHandle {
  db: Database;
  kind: "pglite" | "postgres";
  /** Applies the checked-in migrations (idempotent). */
  migrate(): Promise<void>;
  /** A cheap round trip, for readiness. */
  ping(): Promise<void>;
  /**
   * One parameterised statement on the driver itself, past drizzle's query building: prepared once
   * per connection on postgres.js (named by its text), a parameterised query on PGlite. Rows come
   * as the driver parses them (both parse int, bool and json alike; leave timestamps as text). For
   * the statements of `db/*-reads.ts`, which a test runs on both drivers; not inside a transaction.
   */
  query<T>(text: string, params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres:// URL; when absent, embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** PGlite data folder; `memory://` keeps it in memory (tests). */
  dataDir: string;
  poolSize?: number;
}

/**
 * Where the drizzle-kit migrations are: next to the sources in development and tests
 * (`src/db/../../drizzle`), next to the bundle in a build (`dist/../drizzle`). Overridable.
 */
export function migrationsFolder(): string {
  if (process.env.MIGRATIONS_DIR) return process.env.MIGRATIONS_DIR;
  const here = fileURLToPath(new URL(".", import.meta.url));
  return here.includes("/src/db")
    ? fileURLToPath(new URL("../../drizzle", import.meta.url))
    : fileURLToPath(new URL("../drizzle", import.meta.url));
}

/**
 * postgres.js settings for SPEC §13 "Database trouble is answered, not waited on":
 * - a connection attempt gives up after CONNECT_TIMEOUT_S (a frozen server accepts TCP, then never
 *   answers; requests are answered by the deadline before that, this frees the pool);
 * - reconnecting waits at most BACKOFF_MAX_S (postgres.js's default grows to 20 s, so recovery lagged);
 * - per connection, the server cancels a statement after the request deadline (nothing a request
 *   waits for runs longer; a cancelled statement rolls back) and ends a transaction left idle (an
 *   application that stalled mid-transaction does not hold locks for ever).
 */
const CONNECT_TIMEOUT_S = 5;
const BACKOFF_MAX_S = 0.5;
export const STATEMENT_TIMEOUT_MS = DATABASE_DEADLINE_MS;
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/**
 * libpq's `?host=/directory` (a Unix-domain socket, e.g. `postgres://app@localhost/db?host=/var/run/postgresql`),
 * which postgres.js's URL parser would send to the server as a setting: its `path` option instead.
 * For a PostgreSQL that listens only on its socket (docs/operations.md).
 */
export function postgresTarget(url: string): { url: string; path?: string } {
  const parsed = new URL(url);
  const host = parsed.searchParams.get("host");
  if (!host?.startsWith("/")) return { url };
  parsed.searchParams.delete("host");
  return { url: parsed.toString(), path: `${host.replace(/\/+$/, "")}/.s.PGSQL.${parsed.port || "5432"}` };
}

/** A postgres.js client for `url`, through its socket when the URL names one (`postgresTarget`). */
export function connectPostgres(url: string, options: postgres.Options<Record<string, postgres.PostgresType>> = {}) {
  const target = postgresTarget(url);
  return postgres(target.url, target.path ? { ...options, path: target.path } : options);
}

export function postgresOptions(poolSize: number) {
  return {
    max: poolSize,
    onnotice: () => {},
    connect_timeout: CONNECT_TIMEOUT_S,
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, BACKOFF_MAX_S),
    connection: {
      application_name: "oidc-connections",
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    },
  };
}

/**
 * Transactions of a request check its deadline before BEGIN and before COMMIT: the leftover work of
 * a request already answered 503 rolls back instead of committing later (SPEC §13 "Nothing is half
 * written"). A COMMIT that was sent is awaited by the deadline instead (RequestScope.beginCommit).
 */
function guardTransactions(db: Database): Database {
  const transaction = db.transaction.bind(db);
  db.transaction = (async (fn: Parameters<Database["transaction"]>[0], config?: Parameters<Database["transaction"]>[1]) => {
    const scope = currentScope();
    scope?.check();
    let settle: (() => void) | undefined;
    try {
      return await transaction(async (tx) => {
        const result = await fn(tx);
        settle = scope?.beginCommit();
        return result;
      }, config);
    } finally {
      settle?.();
    }
  }) as Database["transaction"];
  return db;
}

/**
 * The postgres.js client as drizzle sees it, reporting every wait for the database to the current
 * request's scope (SPEC §13 deadline): a query from when it is sent until it settles, a transaction
 * as a whole.
 */
function trackPostgres(client: postgres.Sql): postgres.Sql {
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      if (prop === "unsafe")
        return (...args: unknown[]) => {
          const query = (value as (...a: unknown[]) => postgres.PendingQuery<postgres.Row[]>).apply(target, args);
          const scope = currentScope();
          // postgres.js runs a query when it is first awaited, through its handler: count from then.
          const q = query as unknown as {
            handler?: (q: unknown) => unknown;
            resolve?: (x: unknown) => void;
            reject?: (x: unknown) => void;
          };
          const handler = q.handler;
          if (scope && typeof handler === "function" && q.resolve && q.reject) {
            const resolve = q.resolve;
            const reject = q.reject;
            q.handler = Object.assign((arg: unknown) => {
              const leave = scope.enter();
              q.resolve = (x) => {
                leave();
                resolve(x);
              };
              q.reject = (x) => {
                leave();
                reject(x);
              };
              return handler(arg);
            }, handler);
          }
          return query;
        };
      if (prop === "begin")
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          return currentScope()?.track(result) ?? result;
        };
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

/** The same for PGlite: in-process, but its calls queue behind each other and can be slow. */
function trackPglite(client: PGlite): PGlite {
  // Reads outside a transaction are parsed and planned once (named prepared statements).
  const prepared = pglitePreparedQuery(client);
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      const bound = (value as (...a: unknown[]) => unknown).bind(target);
      if (prop !== "query" && prop !== "exec" && prop !== "transaction") return bound;
      return (...args: unknown[]) => {
        const result = (
          prop === "query" && typeof args[0] === "string" && isReadStatement(args[0])
            ? prepared(args[0], args[1] as unknown[] | undefined, args[2] as QueryOptions | undefined)
            : bound(...args)
        ) as Promise<unknown>;
        return currentScope()?.track(result) ?? result;
      };
    },
  });
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  const folder = migrationsFolder();
  if (options.databaseUrl) {
    const url = options.databaseUrl;
    const client = connectPostgres(url, postgresOptions(options.poolSize ?? 10));
    const tracked = trackPostgres(client);
    const db = guardTransactions(drizzlePostgres(tracked, { schema }) as unknown as Database);
    return {
      db,
      kind: "postgres",
      // Migrations may run longer than a request's statement timeout: their own connection, without it.
      migrate: async () => {
        const migrator = connectPostgres(url, { max: 1, onnotice: () => {}, connection: { application_name: "oidc-connections migrate" } });
        try {
          await migratePostgres(drizzlePostgres(migrator, { schema }), { migrationsFolder: folder });
        } finally {
          await migrator.end({ timeout: 5 });
        }
      },
      ping: async () => {
        await client`select 1`;
      },
      query: async <T>(text: string, params: unknown[]) =>
        (await tracked.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })) as unknown as T[],
      // By then every request has been answered and its handler has settled: what is left is not waited for long.
      close: () => client.end({ timeout: 2 }),
    };
  }
  const memory = options.dataDir.startsWith("memory://");
  if (!memory) mkdirSync(options.dataDir, { recursive: true });
  // One process per data folder (SPEC §13): a second one is refused, not allowed to lose writes.
  const unlock = memory ? () => {} : lockDataDir(options.dataDir);
  let client: PGlite;
  try {
    client = new PGlite(options.dataDir);
    await client.waitReady;
  } catch (error) {
    unlock();
    throw error;
  }
  const trackedPglite = trackPglite(client);
  const pgliteDb = drizzlePglite(trackedPglite, { schema });
  return {
    db: guardTransactions(pgliteDb as unknown as Database),
    kind: "pglite",
    migrate: () => migratePglite(pgliteDb, { migrationsFolder: folder }),
    ping: async () => {
      await pgliteDb.execute(sql`select 1`);
    },
    query: async <T>(text: string, params: unknown[]) => (await trackedPglite.query<T>(text, params)).rows,
    close: async () => {
      try {
        await client.close();
      } finally {
        unlock();
      }
    },
  };
}

/** Driver codes of a connection that failed, closed or timed out (postgres.js, Node's sockets). */
const CONNECTION_ERRORS = new Set([
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * Whether an error means "the database cannot serve us now" (SPEC §13: 503 with Retry-After, not
 * 500): our deadline, a driver connection error, or PostgreSQL's connection exceptions (class 08),
 * shutdown/start-up (57P01–57P03), too many connections (53300), a statement cancelled by
 * statement_timeout (57014), a transaction ended by idle_in_transaction_session_timeout (25P03) or a
 * lock not obtained in time (55P03).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    if (e instanceof DeadlineExceeded) return true;
    // PGlite once closed (the server is stopping).
    if (e instanceof Error && e.message === "PGlite is closed") return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      if (CONNECTION_ERRORS.has(code)) return true;
      if (/^08[0-9A-Z]{3}$/.test(code) || ["57P01", "57P02", "57P03", "53300", "57014", "25P03", "55P03"].includes(code)) return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** PostgreSQL error code of a driver error (postgres.js and PGlite both set `code`). */
export function pgErrorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The constraint a unique/check violation names, if any. */
export function pgConstraint(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    const name = (e as { constraint_name?: unknown; constraint?: unknown }).constraint_name ?? (e as { constraint?: unknown }).constraint;
    if (typeof name === "string") return name;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
