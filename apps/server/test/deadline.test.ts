import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "../src/db/client";
import { currentScope, DeadlineExceeded, RequestScope, requestScope } from "../src/db/deadline";
import { organizations } from "../src/db/schema";
import type { AppEnv } from "../src/http/context";
import { databaseDeadline } from "../src/http/middleware";
import { createTestDatabase, DB_KINDS, type TestDatabase } from "./support/harness";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SPEC §13: the request deadline counts time spent waiting on the database, and nothing is half written. */
describe("database deadline middleware", () => {
  const app = new Hono<AppEnv>()
    .use(databaseDeadline((c) => c.json({ late: true }, 503), 150))
    .get("/db-wait", async (c) => {
      await currentScope()?.track(sleep(1500));
      return c.json({ ok: true });
    })
    .get("/cpu", async (c) => {
      // Work that is not waiting on the database (a password hash, a busy machine) does not count.
      await sleep(400);
      await currentScope()?.track(sleep(50));
      return c.json({ ok: true });
    });

  it("answers 503 once a database wait lasts longer than the deadline", async () => {
    const started = performance.now();
    const res = await app.request("/db-wait");
    expect(res.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("does not count time spent elsewhere", async () => {
    const res = await app.request("/cpu");
    expect(res.status).toBe(200);
  });
});

describe("isDatabaseUnavailable", () => {
  it("knows connection errors, timeouts and shutdowns, through wrapping errors, and nothing else", () => {
    const wrapped = (cause: unknown) => Object.assign(new Error("query failed"), { cause });
    for (const code of ["ECONNREFUSED", "CONNECTION_CLOSED", "CONNECT_TIMEOUT", "08006", "57P01", "57P03", "57014", "25P03"])
      expect(isDatabaseUnavailable(wrapped(Object.assign(new Error("x"), { code })))).toBe(true);
    expect(isDatabaseUnavailable(new DeadlineExceeded())).toBe(true);
    for (const code of ["23505", "22P02", "40001", undefined])
      expect(isDatabaseUnavailable(wrapped(Object.assign(new Error("x"), { code })))).toBe(false);
  });
});

describe.each(DB_KINDS)("transactions of a request answered 503 (%s)", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(() => db.drop());

  const insertOrg = (slug: string) =>
    db.handle.db.transaction(async (tx) => {
      await tx.insert(organizations).values({ slug, name: slug });
    });
  const exists = async (slug: string) => (await db.handle.db.select().from(organizations).where(eq(organizations.slug, slug))).length > 0;

  it("do not begin once the request was answered", async () => {
    const scope = new RequestScope();
    scope.expire();
    await expect(requestScope.run(scope, () => insertOrg("never-begun"))).rejects.toBeInstanceOf(DeadlineExceeded);
    expect(await exists("never-begun")).toBe(false);
  });

  it("roll back instead of committing when the request was answered while they ran", async () => {
    const scope = new RequestScope();
    const run = requestScope.run(scope, () =>
      db.handle.db.transaction(async (tx) => {
        await tx.insert(organizations).values({ slug: "rolled-back", name: "x" });
        scope.expire(); // the deadline passes here: the client was told 503
      }),
    );
    await expect(run).rejects.toBeInstanceOf(DeadlineExceeded);
    expect(await exists("rolled-back")).toBe(false);
  });

  it("commit as usual otherwise, and outside any request", async () => {
    await requestScope.run(new RequestScope(), () => insertOrg("committed"));
    await insertOrg("committed-outside");
    expect(await exists("committed")).toBe(true);
    expect(await exists("committed-outside")).toBe(true);
  });
});
