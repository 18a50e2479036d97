import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN,
  Client,
  connectionBody,
  createTestDatabase,
  DEV_ISSUER_URL,
  exchangeParams,
  exchangeToken,
  granted,
  mintIdToken,
  PASSWORD,
  PUBLIC_URL,
  TEST_KEK,
  type TestApp,
  type TestDatabase,
} from "./support/harness";
import { freePort } from "./support/net";

/**
 * Issue #14 "Scale-out": two server processes on one PostgreSQL database, as behind a load
 * balancer. What one instance counts, claims, revokes or rotates holds on the other at once: the
 * rate limits (the default store on PostgreSQL is the database), replay protection, revocation of
 * access tokens and new exchanges after a deactivation, and a signing key rotated by the CLI.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SERVICE = new URL(PUBLIC_URL).host;
const IP_LIMIT = 6;
const CONNECTION_LIMIT = 10;

const over = (url: string) =>
  ({ request: (path: string, init?: RequestInit) => fetch(`${url}${path}`, init) }) as unknown as TestApp["app"];
/** A client address of its own (TRUST_PROXY=1): only the per-IP test shares one. */
const fromIp = (ip = `198.51.100.${1 + (randomBytes(1)[0] as number)}`) => ({ "x-forwarded-for": ip });
const kidOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString()).kid as string;
const basic = (token: string) => `Basic ${Buffer.from(`ci:${token}`).toString("base64")}`;

interface Instance {
  url: string;
  app: TestApp["app"];
  child: ChildProcess;
}

function commonEnv(databaseUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PUBLIC_URL,
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: "4",
    KEY_ENCRYPTION_KEY: TEST_KEK,
    ADMIN_PASSWORD: PASSWORD,
    DEV_ISSUER: "1",
    TRUST_PROXY: "1",
    TOKEN_RATE_LIMIT_IP: String(IP_LIMIT),
    TOKEN_RATE_LIMIT_CONNECTION: String(CONNECTION_LIMIT),
    API_RATE_LIMIT: "0",
    LOGIN_RATE_LIMIT: "0",
    LOG_LEVEL: "silent",
  };
}

async function startInstance(databaseUrl: string): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/index.ts"], {
    cwd: ROOT,
    env: { ...commonEnv(databaseUrl), PORT: String(port) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200) break;
    if (child.exitCode !== null) throw new Error(`instance exited with ${child.exitCode}`);
    if (i > 600) throw new Error("instance did not become ready");
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, app: over(url), child };
}

async function stopInstance(instance: Instance | undefined) {
  if (!instance || instance.child.exitCode !== null) return;
  const exited = new Promise((resolve) => instance.child.once("exit", resolve));
  instance.child.kill("SIGTERM");
  await exited;
}

const run = process.env.DATABASE_URL ? describe : describe.skip;
if (!process.env.DATABASE_URL)
  console.warn("two-instances.test.ts skipped: set DATABASE_URL to a PostgreSQL server (two processes need a shared database)");

run("two server processes on one PostgreSQL database", { timeout: 180_000 }, () => {
  let db: TestDatabase;
  let a: Instance;
  let b: Instance;
  let adminA: Client;

  const exchange = (on: Instance, connectionId: string, token: string, headers = fromIp()) =>
    exchangeToken(on.app, exchangeParams(connectionId, token), { headers });
  const create = async () => {
    const created = await adminA.post("/api/orgs/octo-org/oidc-connections", connectionBody({ issuer: DEV_ISSUER_URL }));
    expect(created.status).toBe(201);
    return created.body.id as string;
  };
  const resourceCheck = (on: Instance, accessToken: string) =>
    fetch(`${on.url}/api/v1/repositories/octo-org/api/access`, { headers: { authorization: `Bearer ${accessToken}`, ...fromIp() } });
  const realm = (on: Instance, accessToken: string) =>
    fetch(`${on.url}/registry/token?service=${SERVICE}&scope=repository:octo-org/api:pull`, {
      headers: { authorization: basic(accessToken), ...fromIp() },
    });

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    // One after the other: the first migrates and seeds; the second finds it done.
    a = await startInstance(db.url as string);
    b = await startInstance(db.url as string);
    adminA = new Client(a.app);
    await adminA.login(ADMIN);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([stopInstance(a), stopInstance(b)]);
    await db?.drop();
  });

  it("the per-IP limit counts both processes' hits", async () => {
    const ip = fromIp("203.0.113.7");
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      for (const on of [a, b]) statuses.push((await exchangeToken(on.app, { grant_type: "password" }, { headers: ip })).status);
    // 6 a minute from one address, wherever they land: 8 requests, 4 on each, the last 2 refused.
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400, 429, 429]);
  });

  it("the per-connection limit counts both processes' hits", async () => {
    const id = await create();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) for (const on of [a, b]) statuses.push((await exchange(on, id, "not.a.token")).status);
    expect(statuses.filter((s) => s === 400)).toHaveLength(CONNECTION_LIMIT);
    expect(statuses.slice(CONNECTION_LIMIT)).toEqual([429, 429]);
  });

  it("an ID token exchanged on A is a replay on B", async () => {
    const id = await create();
    const token = await mintIdToken(a.app);
    expect((await exchange(a, id, token)).status).toBe(200);
    const replay = await exchange(b, id, token);
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ error: "invalid_grant", error_description: expect.stringMatching(/already used/) });
  });

  it("a deactivation through A's admin API: B refuses the connection's access tokens and new exchanges at once", async () => {
    const id = await create();
    const first = await exchange(a, id, await mintIdToken(a.app));
    expect(first.status).toBe(200);
    const accessToken = granted(first).access_token;
    // B has the connection's configuration cached (30 s) and the token verified once.
    expect((await exchange(b, id, await mintIdToken(b.app))).status).toBe(200);
    expect((await resourceCheck(b, accessToken)).status).toBe(200);
    expect((await realm(b, accessToken)).status).toBe(200);

    expect((await adminA.post(`/api/orgs/octo-org/oidc-connections/${id}/deactivate`)).status).toBe(200);

    const resource = await resourceCheck(b, accessToken);
    expect(resource.status).toBe(401);
    expect(await resource.json()).toMatchObject({ error: { message: expect.stringMatching(/inactive/) } });
    const registry = await realm(b, accessToken);
    expect(registry.status).toBe(401);
    const refused = await exchange(b, id, await mintIdToken(b.app));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: "invalid_grant", error_description: expect.stringMatching(/Connection inactive/) });
  });

  it("keys:rotate (CLI): a process signing with the new key is verified by B; B's older tokens stay valid", async () => {
    const id = await create();
    const before = await exchange(b, id, await mintIdToken(b.app));
    expect(before.status).toBe(200);
    const oldKid = kidOf(granted(before).access_token);

    const rotated = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "keys:rotate"], {
      cwd: ROOT,
      env: commonEnv(db.url as string),
      encoding: "utf8",
    });
    expect(rotated.status, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/new signing key/);

    // A restarts (a deploy) and signs with the new key at once; B still has the old one cached.
    await stopInstance(a);
    a = await startInstance(db.url as string);
    adminA = new Client(a.app);
    await adminA.login(ADMIN);
    const after = await exchange(a, id, await mintIdToken(a.app));
    expect(after.status).toBe(200);
    const newKid = kidOf(granted(after).access_token);
    expect(newKid).not.toBe(oldKid);

    // B meets an unknown kid, reloads the published keys, and verifies it.
    expect((await resourceCheck(b, granted(after).access_token)).status).toBe(200);
    expect((await realm(b, granted(after).access_token)).status).toBe(200);
    expect((await resourceCheck(b, granted(before).access_token)).status).toBe(200);
    const jwks = (await (await fetch(`${b.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
  });
});
