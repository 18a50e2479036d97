import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { Redis } from "ioredis";
import { RateLimiterDrizzle, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Database } from "../db/client";
import { rateLimits } from "../db/schema";
import type { Env } from "../env";
import type { AppEnv, Deps } from "./context";

/** Every limit counts hits in fixed windows of this length (SPEC: "per minute"). */
export const RATE_LIMIT_WINDOW_SECONDS = 60;
/** A shared store that does not answer in this long counts as unreachable (the memory limiter decides). */
const STORE_TIMEOUT_MS = 250;
/** At most one "store unreachable" log line per this long per process. */
const STORE_WARN_EVERY_MS = 60_000;

export type LimitResult = { ok: true } | { ok: false; retryAfterSeconds: number };

/** One limit (e.g. token exchanges per client address): counts a hit on a key, says whether it is over. */
export interface Limiter {
  hit(key: string): Promise<LimitResult>;
}

/**
 * Counters in PostgreSQL through our own drizzle handle (postgres.js or PGlite): the library's
 * `RateLimiterDrizzle` (its upsert, its result shape and fixed window), with its three statements
 * written against our `rate_limits` table and our drizzle-orm. Its own loads drizzle-orm by a
 * dynamic import from its own folder, which pnpm's strict layout and our bundle do not guarantee;
 * its hourly clean-up timer is off: `pruneRateLimits` runs with the exchange's pruning instead.
 */
class RateLimiterOurPostgres extends RateLimiterDrizzle {
  constructor(
    private readonly db: Database,
    opts: { keyPrefix: string; points: number; duration: number },
  ) {
    super({ ...opts, schema: rateLimits, storeClient: db, clearExpiredByTimeout: false });
  }

  async _upsert(key: string, points: number, msDuration: number, forceExpire = false) {
    const now = new Date();
    const newExpire = msDuration > 0 ? new Date(now.getTime() + msDuration) : null;
    const expired = sql`${rateLimits.expire} <= ${now}`;
    const [row] = await this.db
      .insert(rateLimits)
      .values({ key, points, expire: newExpire })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: forceExpire
          ? { points, expire: newExpire }
          : {
              points: sql`case when ${expired} then ${points} else ${rateLimits.points} + ${points} end`,
              expire: sql`case when ${expired} then ${newExpire}::timestamptz else ${rateLimits.expire} end`,
            },
      })
      .returning({ points: rateLimits.points, expire: rateLimits.expire });
    return row;
  }

  async _get(key: string) {
    const [row] = await this.db
      .select({ points: rateLimits.points, expire: rateLimits.expire })
      .from(rateLimits)
      .where(and(eq(rateLimits.key, key), or(gt(rateLimits.expire, new Date()), isNull(rateLimits.expire))))
      .limit(1);
    return row ?? null;
  }

  async _delete(key: string) {
    const [row] = await this.db.delete(rateLimits).where(eq(rateLimits.key, key)).returning({ key: rateLimits.key });
    return row !== undefined;
  }
}

/** Deletes expired rows of the PostgreSQL store, at most `batch` at a time; returns how many. */
export async function pruneRateLimits(db: Database, batch = 5000): Promise<number> {
  const rows = await db
    .delete(rateLimits)
    .where(
      sql`${rateLimits.key} in (select ${rateLimits.key} from ${rateLimits} where ${lt(rateLimits.expire, sql`now()`)} limit ${batch})`,
    )
    .returning({ key: rateLimits.key });
  return rows.length;
}

/** One Redis connection per URL and process, shared by every limiter; closed by `closeRateLimitStores`. */
const redisClients = new Map<string, Redis>();

function redisClient(url: string): Redis {
  let client = redisClients.get(url);
  if (!client) {
    client = new Redis(url, {
      // Unreachable: fail at once (the memory limiter decides) rather than queue behind a reconnect.
      enableOfflineQueue: false,
      commandTimeout: STORE_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(times * 200, 5000),
    });
    // Connection errors are reported through the limiter's fallback log, not as unhandled events.
    client.on("error", () => {});
    redisClients.set(url, client);
  }
  return client;
}

/** Closes the shared stores' connections (the server's stop). */
export async function closeRateLimitStores(): Promise<void> {
  const clients = [...redisClients.values()];
  redisClients.clear();
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
}

/** The store a deployment uses: RATE_LIMIT_STORE, or memory on the embedded database and postgres on PostgreSQL. */
export function rateLimitStore(env: Env): "memory" | "postgres" | "redis" {
  return env.rateLimitStore ?? (env.databaseUrl ? "postgres" : "memory");
}

/**
 * The limits of one app, all on one store (RATE_LIMIT_STORE): memory (each process counts for
 * itself), postgres (the `rate_limits` table: every instance on the database shares the counts) or
 * redis (REDIS_URL). A shared store that fails or is slow never turns a request into an error: the
 * hit is counted by an in-memory limiter of the same limit instead (fail open to the per-process
 * limit), with one warning a minute.
 */
export class RateLimits {
  private lastWarn = 0;
  readonly store: "memory" | "postgres" | "redis";

  constructor(private readonly deps: Deps) {
    this.store = rateLimitStore(deps.env);
  }

  /** A limiter of `points` hits per window per key; `name` keeps its keys apart from the other limits' in a shared store. */
  limiter(name: string, points: number): Limiter {
    if (points <= 0) return { hit: async () => ({ ok: true }) };
    const opts = { keyPrefix: `rl:${name}`, points, duration: RATE_LIMIT_WINDOW_SECONDS };
    const memory = new RateLimiterMemory(opts);
    const limiter =
      this.store === "postgres"
        ? new RateLimiterOurPostgres(this.deps.database.db, opts)
        : this.store === "redis"
          ? new RateLimiterRedis({ ...opts, storeClient: redisClient(this.deps.env.redisUrl as string), rejectIfRedisNotReady: true })
          : memory;
    const warn = (error: unknown) => this.warn(error);
    return {
      async hit(key) {
        try {
          await (limiter === memory ? memory.consume(key) : withInsurance(limiter.consume(key), memory, key, warn));
          return { ok: true };
        } catch (error) {
          if (error instanceof RateLimiterRes) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
          throw error;
        }
      },
    };
  }

  private warn(error: unknown) {
    const now = Date.now();
    if (now - this.lastWarn < STORE_WARN_EVERY_MS) return;
    this.lastWarn = now;
    this.deps.log.warn(
      { store: this.store, err: error instanceof Error ? error.message : String(error) },
      "rate-limit store unreachable: counting in this process's memory meanwhile",
    );
  }
}

/**
 * The store's answer (a RateLimiterRes, rejected when over the limit), or the memory limiter's when
 * the store fails or takes longer than STORE_TIMEOUT_MS: a frozen database must not hold a request
 * for the limit's sake. The library's `insuranceLimiter` does the first half of this silently; done
 * here it is logged and covers a store that hangs too.
 */
async function withInsurance(
  consume: Promise<RateLimiterRes>,
  memory: RateLimiterMemory,
  key: string,
  warn: (e: unknown) => void,
): Promise<RateLimiterRes> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), STORE_TIMEOUT_MS);
  });
  try {
    const first = await Promise.race([
      consume.then(
        (r) => ({ r }),
        (e: unknown) => ({ e }),
      ),
      late,
    ]);
    if (first === "late") {
      consume.catch(() => {});
      warn(new Error(`no answer within ${STORE_TIMEOUT_MS} ms`));
      return await memory.consume(key);
    }
    if ("r" in first) return first.r;
    if (first.e instanceof RateLimiterRes) throw first.e;
    warn(first.e);
    return await memory.consume(key);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Rate-limit middleware: counts the request under `keyOf(c)` and, over the limit, answers with
 * `refuse(c, retryAfterSeconds)` — the caller's own error format (RFC 6749 on /oauth/token, the
 * SPEC's error body on /api, the registry's on /registry).
 */
export function rateLimit(
  limiter: Limiter,
  keyOf: (c: Context<AppEnv>) => string,
  refuse: (c: Context<AppEnv>, retryAfterSeconds: number) => Response | Promise<Response>,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const result = await limiter.hit(keyOf(c));
    if (!result.ok) {
      c.header("Retry-After", String(result.retryAfterSeconds));
      return refuse(c, result.retryAfterSeconds);
    }
    await next();
  };
}
