import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordEvent } from "../src/audit/events";
import { openDatabase } from "../src/db/client";
import { startServer } from "../src/server";
import { isPublicAddress, webhookUrlProblem } from "../src/webhooks/address";
import { putWebhook } from "../src/webhooks/service";
import { backoffMs, WebhookWorker, type WorkerOptions } from "../src/webhooks/worker";
import { CONNECTIONS, expectError, query } from "./admin-support";
import {
  ACME_OWNER,
  ADMIN,
  Client,
  connectionBody,
  createTestApp,
  createTestDatabase,
  DB_KINDS,
  signedIn,
  type TestApp,
  testEnv,
  VIEWER,
} from "./support/harness";

const HOOK = "/api/orgs/octo-org/webhook";
const silent = pino({ level: "silent" });
const rowsOf = (result: unknown) => (Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows);

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
  json: any;
}

/** A webhook receiver on loopback: answers `status()` and keeps what it got. */
async function receiver(status: () => number = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const code = status();
      if (code < 300) received.push({ headers: req.headers, body, json: JSON.parse(body) });
      res.writeHead(code, code === 302 ? { location: "http://127.0.0.1:1/elsewhere" } : {}).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const verify = (secret: string, r: Received) =>
  r.headers["x-oidc-signature"] === `sha256=${createHmac("sha256", secret).update(r.body).digest("hex")}`;

const FAST: WorkerOptions = {
  pollMs: 20,
  retryBaseMs: 10,
  retryCapMs: 40,
  maxAttempts: 3,
  leaseMs: 60_000,
  timeoutMs: 2000,
  allowPrivate: true,
  batch: 10,
};

describe("webhook addresses (SSRF, SPEC §12)", () => {
  it("refuses private, loopback and reserved addresses in production, in every spelling", async () => {
    for (const ip of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "::",
      "fe80::1",
      "fd00::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "64:ff9b::10.0.0.1",
      "224.0.0.1",
    ])
      expect(isPublicAddress(ip), ip).toBe(false);
    for (const ip of ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"]) expect(isPublicAddress(ip), ip).toBe(true);
    expect(await webhookUrlProblem("http://93.184.216.34/hook", false)).toMatch(/https/);
    for (const url of [
      "https://127.0.0.1/x",
      "https://[::1]/x",
      "https://10.0.0.1/x",
      "https://localhost/x",
      "https://[::ffff:127.0.0.1]/x",
    ])
      expect(await webhookUrlProblem(url, false), url).toEqual(expect.any(String));
    expect(await webhookUrlProblem("https://93.184.216.34/hook", false)).toBeUndefined();
    expect(await webhookUrlProblem("http://127.0.0.1:9/hook", true)).toBeUndefined();
  });

  it("a delivery in production mode refuses a loopback receiver at connect time", async () => {
    const t = await createTestApp("pglite");
    const r = await receiver();
    try {
      const org = { id: await orgId(t), slug: "octo-org", name: "Octo", role: "owner" as const };
      await putWebhook(
        t.deps.database.db,
        t.deps.env,
        org,
        { actor: { type: "user", id: "x", name: "x" }, ip: null },
        { url: r.url, events: ["connection.created"] },
      );
      await recordEvent(t.deps.database.db, {
        orgId: org.id,
        connectionId: null,
        type: "connection.created",
        actor: { type: "user", id: "x", name: "x" },
        outcome: "success",
        details: { name: "x", rulesets: [] },
      });
      await new WebhookWorker(t.deps.database.db, t.deps.env, silent, { ...FAST, allowPrivate: false }).tick();
      expect(r.received).toEqual([]);
      const [row] = await query<{ status: string; last_error: string }>(t, sql`select status, last_error from webhook_deliveries`);
      expect(row).toMatchObject({ status: "pending", last_error: expect.stringMatching(/https/) });

      // https to a name that resolves to loopback: refused when connecting (DNS checked at every delivery).
      await putWebhook(
        t.deps.database.db,
        t.deps.env,
        org,
        { actor: { type: "user", id: "x", name: "x" }, ip: null },
        { url: "https://localhost:1/hook", events: ["connection.created"] },
      );
      await query(t, sql`update webhook_deliveries set next_attempt_at = now()`);
      await new WebhookWorker(t.deps.database.db, t.deps.env, silent, { ...FAST, allowPrivate: false }).tick();
      const [again] = await query<{ last_error: string; attempts: number }>(t, sql`select last_error, attempts from webhook_deliveries`);
      expect(again).toMatchObject({ attempts: 2, last_error: expect.stringMatching(/private, loopback or reserved/) });
    } finally {
      await r.close();
      await t.close();
    }
  });
});

async function orgId(t: TestApp, slug = "octo-org") {
  const [row] = await query<{ id: string }>(t, sql`select id from organizations where slug = ${slug}`);
  return String(row?.id);
}

describe.each(DB_KINDS)("webhooks API and delivery (%s)", (kind) => {
  let t: TestApp;
  let admin: Client;
  let viewer: Client;
  let r: Awaited<ReturnType<typeof receiver>>;
  let answer = 200;
  let worker: WebhookWorker;
  beforeAll(async () => {
    t = await createTestApp(kind);
    [admin, viewer] = await signedIn(t.app, ADMIN, VIEWER);
    r = await receiver(() => answer);
    worker = new WebhookWorker(t.deps.database.db, t.deps.env, silent, FAST);
  });
  afterAll(async () => {
    await r.close();
    await t.close();
  });
  const deliveries = async () => (await viewer.get(`${HOOK}/deliveries`)).body.items as any[];

  it("an owner sets it up (secret shown once), members read it; bad input is a 400; other orgs see nothing", async () => {
    expectError(await viewer.get(HOOK), 404, "not_found");
    expectError(await viewer.request("PUT", HOOK, { json: { url: r.url, events: ["connection.created"] } }), 403, "forbidden");
    for (const body of [
      { url: "ftp://x/y", events: ["connection.created"] },
      { url: r.url, events: [] },
      { url: r.url, events: ["nope"] },
      { url: r.url, events: ["connection.created", "connection.created"] },
      { url: "https://user:pw@example.com/", events: ["connection.created"] },
      { url: r.url, events: ["connection.created"], secret: "mine" },
    ])
      expectError(await admin.request("PUT", HOOK, { json: body }), 400, "validation_failed");

    const created = await admin.request("PUT", HOOK, { json: { url: r.url, events: ["connection.created", "token.first_use"] } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.headers.get("cache-control")).toBe("no-store");
    const read = await viewer.get(HOOK);
    expect(read.body).toEqual({
      url: r.url,
      events: ["connection.created", "token.first_use"],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    // The secret is sealed at rest.
    const [row] = await query<{ secret: unknown }>(t, sql`select secret::text as secret from webhooks`);
    expect(String(row?.secret)).not.toContain(created.body.secret.slice(6));

    const acme = new Client(t.app);
    await acme.login(ACME_OWNER);
    expectError(await acme.get(HOOK), 404, "not_found");
    expectError(await acme.get("/api/orgs/acme/webhook"), 404, "not_found");

    // Subscribed events are delivered, signed; others are not queued.
    const c = await admin.post(CONNECTIONS, connectionBody());
    expect(c.status).toBe(201);
    expect(await worker.tick()).toBe(1);
    expect(r.received).toHaveLength(1);
    const got = r.received[0] as Received;
    expect(verify(created.body.secret, got)).toBe(true);
    expect(got.json).toMatchObject({
      type: "connection.created",
      org: "octo-org",
      event: { type: "connection.created", connectionId: c.body.id, actor: { type: "user" } },
    });
    expect(got.headers["x-oidc-delivery"]).toBe(got.json.id);
    expect(got.headers["x-oidc-event"]).toBe("connection.created");
    expect(await worker.tick()).toBe(0);
    const list = await deliveries();
    expect(list[0]).toMatchObject({ eventType: "connection.created", status: "delivered", attempts: 1, lastStatusCode: 200 });

    // A change keeps the secret (200, no secret); rotation gives a new one that signs from then on.
    const changed = await admin.request("PUT", HOOK, { json: { url: r.url, events: ["connection.updated"] } });
    expect(changed.status).toBe(200);
    expect(changed.body.secret).toBeUndefined();
    const rotated = await admin.post(`${HOOK}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    const test = await admin.post(`${HOOK}/test`);
    expect(test.status).toBe(202);
    expect(test.body).toMatchObject({ eventType: "webhook.test", status: "pending" });
    expectError(await viewer.post(`${HOOK}/test`), 403, "forbidden");
    await worker.tick();
    const last = r.received.at(-1) as Received;
    expect(last.json.type).toBe("webhook.test");
    expect(verify(rotated.body.secret, last)).toBe(true);
    expect(verify(created.body.secret, last)).toBe(false);
  });

  it("keys:rewrap re-seals the secret under a new KEK; deliveries still verify with the same secret", async () => {
    const { parseKek, generateKekText } = await import("../src/keys/vault");
    const { rewrapWebhookSecrets, openSecret } = await import("../src/webhooks/service");
    const created = await admin.request("PUT", HOOK, { json: { url: r.url, events: ["connection.created"] } });
    const id = await orgId(t);
    const [before] = await query<{ secret: any }>(t, sql`select secret from webhooks where org_id = ${id}::uuid`);
    const secret = openSecret(t.deps.env, id, typeof before?.secret === "string" ? JSON.parse(before.secret) : before?.secret);
    const fresh = parseKek(generateKekText("next"));
    const keyring = {
      current: fresh,
      old: [t.deps.env.keyEncryptionKey as NonNullable<typeof t.deps.env.keyEncryptionKey>],
      source: "KEY_ENCRYPTION_KEY" as const,
    };
    expect(await rewrapWebhookSecrets(t.deps.database.db, keyring)).toEqual({ total: 1, rewrapped: 1 });
    expect(await rewrapWebhookSecrets(t.deps.database.db, keyring)).toEqual({ total: 1, rewrapped: 0 });
    const [after] = await query<{ kek: string }>(t, sql`select secret->>'kek' as kek from webhooks where org_id = ${id}::uuid`);
    expect(after?.kek).toBe(fresh.id);
    // And back, so the server's own keyring opens it again for the tests below; the secret is unchanged.
    const original = t.deps.env.keyEncryptionKey as NonNullable<typeof t.deps.env.keyEncryptionKey>;
    expect(await rewrapWebhookSecrets(t.deps.database.db, { current: original, old: [fresh], source: "KEY_ENCRYPTION_KEY" })).toEqual({
      total: 1,
      rewrapped: 1,
    });
    const [back] = await query<{ secret: any }>(t, sql`select secret from webhooks where org_id = ${id}::uuid`);
    expect(openSecret(t.deps.env, id, typeof back?.secret === "string" ? JSON.parse(back.secret) : back?.secret)).toBe(secret);
    expect(created.status === 200 || created.status === 201).toBe(true);
    expect(secret).toMatch(/^whsec_/);
  });

  it("a failing receiver is retried with backoff, then given up; a 3xx is a failure, not followed", async () => {
    answer = 500;
    expect((await admin.post(`${HOOK}/test`)).status).toBe(202);
    await worker.tick();
    let [d] = await deliveries();
    expect(d).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: 500 });
    expect(Date.parse(d.nextAttemptAt)).toBeGreaterThan(Date.now() - 1000);
    await new Promise((res) => setTimeout(res, 60));
    answer = 302;
    await worker.tick();
    [d] = await deliveries();
    expect(d).toMatchObject({ status: "pending", attempts: 2, lastStatusCode: 302 });
    await new Promise((res) => setTimeout(res, 60));
    answer = 500;
    await worker.tick();
    [d] = await deliveries();
    expect(d).toMatchObject({ status: "failed", attempts: 3, lastStatusCode: 500, nextAttemptAt: null });
    answer = 200;
    expect(backoffMs(1, 1000, 60_000)).toBe(1000);
    expect(backoffMs(4, 1000, 60_000)).toBe(8000);
    expect(backoffMs(20, 1000, 60_000)).toBe(60_000);
  });

  it("removing the webhook gives up its waiting deliveries and records who did it", async () => {
    answer = 500;
    await admin.post(`${HOOK}/test`);
    answer = 200;
    expectError(await viewer.delete(HOOK), 403, "forbidden");
    expect((await admin.delete(HOOK)).status).toBe(204);
    expectError(await viewer.get(HOOK), 404, "not_found");
    expect(await worker.tick()).toBe(0);
    const [row] = await query<{ status: string }>(t, sql`select status from webhook_deliveries order by id desc limit 1`);
    expect(row?.status).toBe("failed");
    const events = await viewer.get(
      "/api/orgs/octo-org/events?type=webhook.created,webhook.updated,webhook.secret_rotated,webhook.deleted",
    );
    expect(events.body.items.map((e: { type: string }) => e.type)).toEqual([
      "webhook.deleted",
      "webhook.updated",
      "webhook.secret_rotated",
      "webhook.updated",
      "webhook.created",
    ]);
  });
});

describe.each(DB_KINDS)("webhook outbox across a restart (%s)", (kind) => {
  it("a delivery failing when the server stops arrives once, from the next server on the same database", async () => {
    let answer = 503;
    const r = await receiver(() => answer);
    const dir = mkdtempSync(join(tmpdir(), "oidc-webhook-"));
    const db = kind === "postgres" ? await createTestDatabase("postgres") : undefined;
    if (db) await db.handle.close();
    const env = testEnv({
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dir,
      ...(db?.url ? { DATABASE_URL: db.url } : {}),
      WEBHOOK_POLL_MS: "20",
      WEBHOOK_RETRY_BASE_MS: "100",
      WEBHOOK_RETRY_CAP_MS: "200",
    });
    try {
      const first = await startServer(env, silent);
      const database = first.deps.database.db;
      const id = String(rowsOf(await database.execute(sql`select id from organizations where slug = 'octo-org'`))[0]?.id);
      const owner = { id, slug: "octo-org", name: "Octo", role: "owner" as const };
      const { secret } = await putWebhook(
        database,
        env,
        owner,
        { actor: { type: "user", id: "x", name: "x" }, ip: null },
        { url: r.url, events: ["connection.deleted"] },
      );
      await recordEvent(database, {
        orgId: id,
        connectionId: null,
        type: "connection.deleted",
        actor: { type: "user", id: "x", name: "x" },
        outcome: "success",
        details: { name: "x", version: 1 },
      });
      const attempts = async (d: typeof database) => {
        return rowsOf(await d.execute(sql`select attempts, status from webhook_deliveries`))[0] as { attempts: number; status: string };
      };
      await expect.poll(async () => (await attempts(database)).attempts, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
      await first.stop(1000);
      answer = 200;
      const second = await startServer(env, silent);
      try {
        await expect.poll(async () => (await attempts(second.deps.database.db)).status, { timeout: 5000 }).toBe("delivered");
        await new Promise((res) => setTimeout(res, 300)); // nothing more arrives
        expect(r.received).toHaveLength(1);
        expect(verify(String(secret), r.received[0] as Received)).toBe(true);
      } finally {
        await second.stop(1000);
      }
    } finally {
      await r.close();
      if (db) {
        const admin = await import("postgres").then((m) => m.default(process.env.DATABASE_URL as string, { max: 1, onnotice: () => {} }));
        await admin.unsafe(`drop database if exists "${new URL(db.url as string).pathname.slice(1)}" with (force)`);
        await admin.end();
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe.skipIf(!process.env.DATABASE_URL)("two workers on one PostgreSQL database", () => {
  it("never deliver the same delivery twice (FOR UPDATE SKIP LOCKED)", async () => {
    const db = await createTestDatabase("postgres");
    const r = await receiver();
    const second = await openDatabase({ databaseUrl: db.url as string, dataDir: "unused", poolSize: 5 });
    try {
      const env = testEnv();
      const a = db.handle.db;
      await a.execute(sql`insert into organizations (slug, name) values ('octo-org', 'Octo')`);
      const id = String(rowsOf(await a.execute(sql`select id from organizations where slug = 'octo-org'`))[0]?.id);
      await putWebhook(
        a,
        env,
        { id, slug: "octo-org", name: "Octo", role: "owner" },
        { actor: { type: "user", id: "x", name: "x" }, ip: null },
        { url: r.url, events: ["connection.deleted"] },
      );
      for (let i = 0; i < 60; i++)
        await recordEvent(a, {
          orgId: id,
          connectionId: null,
          type: "connection.deleted",
          actor: { type: "user", id: "x", name: "x" },
          outcome: "success",
          details: { name: "x", version: 1 },
        });
      const w1 = new WebhookWorker(a, env, silent, { ...FAST, batch: 7 });
      const w2 = new WebhookWorker(second.db, env, silent, { ...FAST, batch: 7 });
      for (let round = 0; round < 20 && r.received.length < 60; round++) await Promise.all([w1.tick(), w2.tick(), w1.tick(), w2.tick()]);
      const ids = r.received.map((x) => x.json.id);
      expect(ids).toHaveLength(60);
      expect(new Set(ids).size).toBe(60);
    } finally {
      await second.close();
      await r.close();
      await db.drop();
    }
  }, 30_000);
});
