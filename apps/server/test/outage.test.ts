import pino from "pino";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Started, startServer } from "../src/server";
import {
  ADMIN,
  Client,
  connectionBody,
  DEV_ISSUER_URL,
  exchangeParams,
  exchangeToken,
  mintIdToken,
  type Response2,
  type TestApp,
  testEnv,
} from "./support/harness";
import { HAS_INITDB, PG_BINDIR, PrivateCluster } from "./support/pg-cluster";

if (!HAS_INITDB) console.warn(`outage tests skipped: no ${PG_BINDIR}/initdb (install postgresql-15 or set PG_BINDIR)`);

/** The real server over HTTP, as a TestApp["app"] for the harness helpers. */
const over = (url: string) =>
  ({ request: (path: string, init?: RequestInit) => fetch(`${url}${path}`, init) }) as unknown as TestApp["app"];

const timed = async <T>(fn: () => Promise<T>) => {
  const started = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - started };
};

/** SPEC §13 "Database trouble is answered, not waited on", against a private cluster the test controls. */
describe.skipIf(!HAS_INITDB)("database outages (private PostgreSQL cluster)", () => {
  let cluster: PrivateCluster;
  let server: Started;
  let app: TestApp["app"];
  let admin: Client;
  let connectionId: string;
  let connectionPath: string;
  let sql: postgres.Sql;

  beforeAll(async () => {
    cluster = await PrivateCluster.create();
    server = await startServer(
      testEnv({
        PORT: "0",
        HOST: "127.0.0.1",
        DATABASE_URL: cluster.url,
        DEV_ISSUER: "1",
        TOKEN_RATE_LIMIT_IP: "0",
        TOKEN_RATE_LIMIT_CONNECTION: "0",
      }),
      pino({ level: "silent" }),
    );
    app = over(server.url);
    admin = new Client(app);
    await admin.login(ADMIN);
    const created = await admin.post("/api/orgs/octo-org/oidc-connections", connectionBody({ issuer: DEV_ISSUER_URL }));
    expect(created.status).toBe(201);
    connectionId = created.body.id;
    connectionPath = `/api/orgs/octo-org/oidc-connections/${connectionId}`;
    sql = postgres(cluster.url, { max: 1, onnotice: () => {}, connect_timeout: 2, backoff: () => 0.2 });
    // Warm: the connection's configuration is cached, as in a busy deployment.
    expect((await exchangeToken(app, exchangeParams(connectionId, await mintIdToken(app)))).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await sql?.end({ timeout: 1 }).catch(() => {});
    await server?.stop(1000);
    cluster?.destroy();
  });

  /** Everything a client sends during the outage, at the same moment. */
  async function duringOutage(tokens: string[], tag: string) {
    const results = await Promise.all([
      ...tokens.map((token) => timed(() => exchangeToken(app, exchangeParams(connectionId, token)))),
      timed(() => admin.post("/api/orgs/octo-org/oidc-connections", connectionBody({ name: `During ${tag}`, issuer: DEV_ISSUER_URL }))),
      timed(() => admin.post(`${connectionPath}/deactivate`)),
      timed(() => admin.get("/api/orgs/octo-org/oidc-connections")),
      timed(() => admin.get("/api/me")),
    ]);
    const ready = await timed(() => fetch(`${server.url}/readyz`));
    return { exchanges: results.slice(0, tokens.length), admin: results.slice(tokens.length), ready };
  }

  function expectQuick503s(outcome: Awaited<ReturnType<typeof duringOutage>>) {
    for (const { result, ms } of outcome.exchanges) {
      expect({ status: result.status, error: result.body?.error }).toEqual({ status: 503, error: "temporarily_unavailable" });
      expect(result.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(ms).toBeLessThan(3000);
    }
    for (const { result, ms } of outcome.admin as { result: Response2<any>; ms: number }[]) {
      expect({ status: result.status, code: result.body?.error?.code }).toEqual({ status: 503, code: "service_unavailable" });
      expect(result.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(JSON.stringify(result.body)).not.toMatch(/select|insert|ECONN|postgres/i);
      expect(ms).toBeLessThan(3000);
    }
    expect(outcome.ready.result.status).toBe(503);
    expect(outcome.ready.ms).toBeLessThan(1000);
  }

  /** Polls until an exchange succeeds again; returns how long that took. */
  async function recovery() {
    const started = performance.now();
    for (;;) {
      const res = await exchangeToken(app, exchangeParams(connectionId, await mintIdToken(app)));
      if (res.status === 200) return performance.now() - started;
      expect(performance.now() - started).toBeLessThan(10_000);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function usedJtis(jtis: string[]) {
    const rows = await sql<{ jti: string }[]>`select jti from used_jtis where jti = any(${jtis})`;
    return rows.map((r) => r.jti);
  }
  const jtiOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()).jti as string;

  it("stopped: every request is answered 503 with Retry-After within 3 s, /readyz within 1 s; recovers by itself", async () => {
    const tokens = await Promise.all([1, 2, 3].map(() => mintIdToken(app)));
    cluster.stop();
    expectQuick503s(await duringOutage(tokens, "stop"));
    cluster.start();
    expect(await recovery()).toBeLessThan(3000);
    // Nothing half written: the create and the deactivate answered 503 did not happen.
    const list = await admin.get("/api/orgs/octo-org/oidc-connections?q=During");
    expect(list.body.items).toEqual([]);
    expect((await admin.get(connectionPath)).body.status).toBe("active");
    // The tokens refused with 503 were not used up: they work now.
    expect(await usedJtis(tokens.map(jtiOf))).toEqual([]);
    expect((await exchangeToken(app, exchangeParams(connectionId, tokens[0] as string))).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  }, 60_000);

  it("frozen (SIGSTOP): answered 503 within 3 s, nothing written after it thaws, and it recovers", async () => {
    const tokens = await Promise.all([1, 2, 3, 4, 5, 6].map(() => mintIdToken(app)));
    cluster.freeze();
    let outcome: Awaited<ReturnType<typeof duringOutage>>;
    try {
      outcome = await duringOutage(tokens, "freeze");
    } finally {
      cluster.thaw();
    }
    expectQuick503s(outcome);
    expect(await recovery()).toBeLessThan(3000);
    // Let the work left over from the 503s finish, then look: nothing of it was committed.
    await new Promise((r) => setTimeout(r, 1000));
    const list = await admin.get("/api/orgs/octo-org/oidc-connections?q=During");
    expect(list.body.items).toEqual([]);
    expect((await admin.get(connectionPath)).body.status).toBe("active");
    // At most the recording statements already sent to the frozen server (≤ 2) used their jti;
    // the exchanges still queued were dropped, and their tokens work now.
    const used = await usedJtis(tokens.map(jtiOf));
    expect(used.length).toBeLessThanOrEqual(2);
    const unused = tokens.filter((t) => !used.includes(jtiOf(t)));
    expect(unused.length).toBeGreaterThanOrEqual(4);
    for (const token of unused) expect((await exchangeToken(app, exchangeParams(connectionId, token))).status).toBe(200);
  }, 60_000);
});
