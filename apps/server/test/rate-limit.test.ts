import { sql } from "drizzle-orm";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "../src/env";
import type { Deps } from "../src/http/context";
import { closeRateLimitStores, pruneRateLimits, RateLimits, rateLimitStore } from "../src/http/rate-limit";
import { createTestDatabase, DB_KINDS, type TestDatabase, testEnv } from "./support/harness";

/**
 * The one rate limiter (issue #14 "Scale-out"): counts per key and window on a store — memory,
 * PostgreSQL (the `rate_limits` table) or Redis — shared by every instance on the same store, and
 * never an error when the store is away (the process's own memory counts meanwhile).
 */

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

function depsOf(database: TestDatabase["handle"], env: Record<string, string>, lines: string[] = []): Deps {
  return {
    env: testEnv(env),
    database,
    log: pino({ level: "warn" }, { write: (line: string) => lines.push(line) }),
  };
}

const okCount = (results: { ok: boolean }[]) => results.filter((r) => r.ok).length;

describe("rate limits: store selection (env)", () => {
  it("memory on the embedded database, postgres on PostgreSQL, or what RATE_LIMIT_STORE says", () => {
    expect(rateLimitStore(parseEnv({}))).toBe("memory");
    expect(rateLimitStore(parseEnv({ DATABASE_URL: "postgres://db/x" }))).toBe("postgres");
    expect(rateLimitStore(parseEnv({ DATABASE_URL: "postgres://db/x", RATE_LIMIT_STORE: "memory" }))).toBe("memory");
    expect(rateLimitStore(parseEnv({ RATE_LIMIT_STORE: "redis", REDIS_URL: "redis://cache:6379" }))).toBe("redis");
  });

  it("refuses an unknown store, and redis without REDIS_URL; REDIS_URL (it may hold a password) is never echoed", () => {
    expect(() => parseEnv({ RATE_LIMIT_STORE: "mongo" })).toThrow(/RATE_LIMIT_STORE: must be memory, postgres or redis/);
    expect(() => parseEnv({ RATE_LIMIT_STORE: "redis" })).toThrow(/REDIS_URL: required with RATE_LIMIT_STORE=redis/);
    try {
      parseEnv({ REDIS_URL: "http://user:s3cret@cache" });
      throw new Error("accepted");
    } catch (error) {
      expect(error).toBeInstanceOf(EnvError);
      expect((error as Error).message).toMatch(/REDIS_URL: .*value hidden/);
      expect((error as Error).message).not.toContain("s3cret");
    }
  });
});

describe.each(DB_KINDS)("rate limits: memory and PostgreSQL stores (%s)", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(() => db.drop());

  it("memory: counts per key, says how long until the window ends; 0 disables", async () => {
    const limits = new RateLimits(depsOf(db.handle, { RATE_LIMIT_STORE: "memory" }));
    const limiter = limits.limiter("t-memory", 2);
    expect(await limiter.hit("a")).toEqual({ ok: true });
    expect(await limiter.hit("a")).toEqual({ ok: true });
    const over = await limiter.hit("a");
    expect(over.ok).toBe(false);
    expect(over.ok === false && over.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(await limiter.hit("b")).toEqual({ ok: true });
    const off = limits.limiter("t-off", 0);
    for (let i = 0; i < 5; i++) expect(await off.hit("a")).toEqual({ ok: true });
  });

  it("postgres: two instances on one database share the count, and concurrent hits are exact", async () => {
    const a = new RateLimits(depsOf(db.handle, { RATE_LIMIT_STORE: "postgres" })).limiter("t-shared", 5);
    const b = new RateLimits(depsOf(db.handle, { RATE_LIMIT_STORE: "postgres" })).limiter("t-shared", 5);
    // 8 at once on each: coalesced per process, counted in one row; exactly 5 of the 16 pass.
    const results = await Promise.all([
      ...Array.from({ length: 8 }, () => a.hit("ip-1")),
      ...Array.from({ length: 8 }, () => b.hit("ip-1")),
    ]);
    expect(okCount(results)).toBe(5);
    expect(await b.hit("ip-2")).toEqual({ ok: true });
    const rows = (await db.handle.db.execute(sql`select key, points from rate_limits order by key`)) as unknown;
    const list = Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows;
    expect(list).toEqual([
      { key: "rl:t-shared:ip-1", points: 16 },
      { key: "rl:t-shared:ip-2", points: 1 },
    ]);
  });

  it("postgres: expired windows are pruned", async () => {
    const limiter = new RateLimits(depsOf(db.handle, { RATE_LIMIT_STORE: "postgres" })).limiter("t-prune", 3);
    await limiter.hit("x");
    await db.handle.db.execute(sql`update rate_limits set expire = now() - interval '1 second' where key = 'rl:t-prune:x'`);
    expect(await pruneRateLimits(db.handle.db)).toBeGreaterThanOrEqual(1);
    // A new window starts from 1.
    expect(await limiter.hit("x")).toEqual({ ok: true });
  });
});

describe("rate limits: a store that is away", { timeout: 120_000 }, () => {
  it("postgres gone: the hit is counted in memory (the same limit), with one warning; never an error", async () => {
    const db = await createTestDatabase("pglite");
    const lines: string[] = [];
    const limiter = new RateLimits(depsOf(db.handle, { RATE_LIMIT_STORE: "postgres" }, lines)).limiter("t-gone", 2);
    await db.drop();
    const results = [await limiter.hit("k"), await limiter.hit("k"), await limiter.hit("k")];
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    const warnings = lines.map((l) => JSON.parse(l) as { msg: string; store: string });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ store: "postgres", msg: expect.stringMatching(/rate-limit store unreachable/) });
  });

  it("redis unreachable: the same", async () => {
    const db = await createTestDatabase("pglite");
    const lines: string[] = [];
    const limiter = new RateLimits(depsOf(db.handle, { RATE_LIMIT_STORE: "redis", REDIS_URL: "redis://127.0.0.1:1" }, lines)).limiter(
      "t-noredis",
      1,
    );
    expect(await limiter.hit("k")).toEqual({ ok: true });
    expect((await limiter.hit("k")).ok).toBe(false);
    expect(lines.length).toBe(1);
    await closeRateLimitStores();
    await db.drop();
  });
});

describe("rate limits: Redis store", () => {
  let reachable = false;
  let db: TestDatabase;
  beforeAll(async () => {
    const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {});
    reachable = await probe
      .connect()
      .then(() => probe.ping())
      .then(() => true)
      .catch(() => false);
    probe.disconnect();
    if (!reachable) console.warn(`rate limits: Redis store tests skipped: no Redis answers at ${REDIS_URL} (set REDIS_URL)`);
    db = await createTestDatabase("pglite");
  });
  afterAll(async () => {
    await closeRateLimitStores();
    await db.drop();
  });

  it("two instances on one Redis share the count, exactly, under concurrency", async (ctx) => {
    if (!reachable) return ctx.skip();
    const name = `t-redis-${Date.now()}`;
    const env = { RATE_LIMIT_STORE: "redis", REDIS_URL };
    const a = new RateLimits(depsOf(db.handle, env)).limiter(name, 4);
    const b = new RateLimits(depsOf(db.handle, env)).limiter(name, 4);
    const results = await Promise.all([...Array.from({ length: 5 }, () => a.hit("ip")), ...Array.from({ length: 5 }, () => b.hit("ip"))]);
    expect(okCount(results)).toBe(4);
    const over = results.find((r) => !r.ok);
    expect(over?.ok === false && over.retryAfterSeconds).toBeGreaterThanOrEqual(59);
  });
});
