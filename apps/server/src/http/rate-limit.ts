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
    // Times are the database's (now()): every instance counts against one clock, and no JS Date
    // goes through a raw parameter (drizzle replaces postgres.js's timestamp serialiser).
    const expire = msDuration > 0 ? sql`now() + ${msDuration} * interval '1 millisecond'` : null;
    const expired = sql`${rateLimits.expire} <= now()`;
    const [row] = await this.db
      .insert(rateLimits)
      .values({ key, points, expire })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: forceExpire
          ? { points: sql`excluded.points`, expire: sql`excluded.expire` }
          : {
              points: sql`case when ${expired} then excluded.points else ${rateLimits.points} + excluded.points end`,
              expire: sql`case when ${expired} then excluded.expire else ${rateLimits.expire} end`,
            },
      })
      .returning({ points: rateLimits.points, expire: rateLimits.expire });
    return row;
  }

  async _get(key: string) {
    const [row] = await this.db
      .select({ points: rateLimits.points, expire: rateLimits.expire })
      .from(rateLimits)
      .where(and(eq(rateLimits.key, key), or(gt(rateLimits.expire, sql`now()`), isNull(rateLimits.expire))))
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
      // While (re)connecting a command waits at most STORE_TIMEOUT_MS and is not retried: then the
      // memory limiter decides (withInsurance), so an unreachable Redis never holds a request.
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
    if (this.store === "memory") return new CoalescedLimiter(points, (key, n) => settle(memory.consume(key, n)));
    const store =
      this.store === "postgres"
        ? new RateLimiterOurPostgres(this.deps.database.db, opts)
        : new RateLimiterRedis({ ...opts, storeClient: redisClient(this.deps.env.redisUrl as string) });
    const warn = (error: unknown) => this.warn(error);
    return new CoalescedLimiter(points, (key, n) => withInsurance(settle(store.consume(key, n)), memory, key, n, warn));
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

/** The window's count after a consume, whether over the limit or not (the library rejects with it when over). */
type Count = { consumed: number; msBeforeNext: number };

async function settle(consume: Promise<RateLimiterRes>): Promise<Count> {
  try {
    const res = await consume;
    return { consumed: res.consumedPoints, msBeforeNext: res.msBeforeNext };
  } catch (error) {
    if (error instanceof RateLimiterRes) return { consumed: error.consumedPoints, msBeforeNext: error.msBeforeNext };
    throw error;
  }
}

/**
 * The store's count, or the memory limiter's when the store fails or takes longer than
 * STORE_TIMEOUT_MS: a frozen database must not hold a request for the limit's sake. The library's
 * `insuranceLimiter` does the first half of this silently; done here it is logged and covers a
 * store that hangs too.
 */
async function withInsurance(
  count: Promise<Count>,
  memory: RateLimiterMemory,
  key: string,
  n: number,
  warn: (e: unknown) => void,
): Promise<Count> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), STORE_TIMEOUT_MS);
  });
  try {
    const first = await Promise.race([
      count.then(
        (r) => ({ r }),
        (e: unknown) => ({ e }),
      ),
      late,
    ]);
    if (first !== "late" && "r" in first) return first.r;
    count.catch(() => {});
    warn(first === "late" ? new Error(`no answer within ${STORE_TIMEOUT_MS} ms`) : first.e);
    return await settle(memory.consume(key, n));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Group commit for counters: while one consume of a key is on its way, further hits on that key in
 * this process wait and go together as one consume of n points, each told from the total whether
 * it is within the limit. Under load a hot key (one runner network's address, one busy connection)
 * costs one statement at a time per process instead of one per request queueing on the same row lock.
 */
class CoalescedLimiter implements Limiter {
  private readonly waiting = new Map<string, ((result: LimitResult) => void)[]>();
  private readonly running = new Set<string>();

  constructor(
    private readonly points: number,
    private readonly consume: (key: string, n: number) => Promise<Count>,
  ) {}

  hit(key: string): Promise<LimitResult> {
    return new Promise((resolve) => {
      const queue = this.waiting.get(key);
      if (queue) queue.push(resolve);
      else this.waiting.set(key, [resolve]);
      if (!this.running.has(key)) void this.flush(key);
    });
  }

  private async flush(key: string) {
    const batch = this.waiting.get(key);
    if (!batch?.length) return;
    this.waiting.delete(key);
    this.running.add(key);
    try {
      let count: Count;
      try {
        count = await this.consume(key, batch.length);
      } catch {
        // Neither the store nor memory answered (cannot happen with memory): fail open.
        count = { consumed: 0, msBeforeNext: 0 };
      }
      const retryAfterSeconds = Math.max(1, Math.ceil(count.msBeforeNext / 1000));
      // The i-th hit of the batch is hit number consumed − n + 1 + i of the window.
      for (const [i, resolve] of batch.entries())
        resolve(count.consumed - batch.length + 1 + i <= this.points ? { ok: true } : { ok: false, retryAfterSeconds });
    } finally {
      this.running.delete(key);
      if (this.waiting.has(key)) void this.flush(key);
    }
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
