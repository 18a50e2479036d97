import { randomBytes } from "node:crypto";
import {
  type Connection,
  type ConnectionCreate,
  ConnectionSchema,
  ID_TOKEN_TYPE,
  type OAuthErrorSchema,
  TOKEN_EXCHANGE_GRANT_TYPE,
  TokenExchangeResponseSchema,
} from "@oidc/shared";
import { testClient } from "hono/testing";
import pino from "pino";
import type { z } from "zod";
import { createApp } from "../../src/app";
import { connectPostgres, type DatabaseHandle, openDatabase } from "../../src/db/client";
import { type Env, parseEnv } from "../../src/env";
import type { Deps } from "../../src/http/context";
import { seedDemo } from "../../src/seed";

export type DbKind = "pglite" | "postgres";

/** PGlite always; the PostgreSQL server too when DATABASE_URL is set (SPEC §8). */
export const DB_KINDS: DbKind[] = process.env.DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

export const PASSWORD = "correct-horse-battery";
export const PUBLIC_URL = "http://localhost:3000";
/** The key-encryption key of this test process (SPEC §13 "Keys at rest"): random, never on disk. */
export const TEST_KEK = `test-${randomBytes(4).toString("hex")}:${randomBytes(32).toString("base64")}`;

export interface TestDatabase {
  handle: DatabaseHandle;
  /** Set for the server: the URL of this test's own database. */
  url?: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database of its own: an in-memory PGlite, or a new database on the server
 * named after a random suffix, dropped afterwards (never relies on leftovers).
 */
export async function createTestDatabase(kind: DbKind, poolSize = 10): Promise<TestDatabase> {
  if (kind === "pglite") {
    const handle = await openDatabase({ dataDir: "memory://", poolSize });
    await handle.migrate();
    return { handle, drop: () => handle.close() };
  }
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error("DATABASE_URL is not set");
  const name = `oidc_test_${randomBytes(6).toString("hex")}`;
  const admin = connectPostgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString(), dataDir: "unused", poolSize });
  await handle.migrate();
  return {
    handle,
    url: url.toString(),
    async drop() {
      await handle.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

export function testEnv(overrides: Record<string, string> = {}): Env {
  return parseEnv({
    NODE_ENV: "test",
    PUBLIC_URL,
    ADMIN_PASSWORD: PASSWORD,
    LOG_LEVEL: "silent",
    API_RATE_LIMIT: "0",
    LOGIN_RATE_LIMIT: "0",
    KEY_ENCRYPTION_KEY: TEST_KEK,
    ...overrides,
  });
}

export interface TestApp {
  app: ReturnType<typeof createApp>;
  deps: Deps;
  db: TestDatabase;
  close(): Promise<void>;
}

/** The real app over a fresh database with the demo seed. */
export async function createTestApp(kind: DbKind, envOverrides: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase(kind);
  const env = testEnv(envOverrides);
  const deps: Deps = { env, database: db.handle, log: pino({ level: "silent" }) };
  await seedDemo(db.handle.db, env, deps.log);
  return { app: createApp(deps), deps, db, close: () => db.drop() };
}

export interface Response2<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * A browser-like client: keeps the session cookie, sends same-origin headers on writes. Its
 * `get`/`post`/… take any path and leave the body untyped (`T`, for tests about error bodies and
 * partial shapes); `rpc()` is the typed way: Hono's test client over the app's own route types.
 */
export class Client {
  cookie = "";
  constructor(private readonly app: TestApp["app"]) {}

  /**
   * The app's typed client (Hono RPC, as the console's `hc<AppType>`): paths, params, bodies and
   * JSON answers typed from the routes, with this client's session and same-origin headers.
   */
  rpc() {
    return testClient(this.app, undefined, undefined, {
      headers: (): Record<string, string> => ({
        ...(this.cookie ? { cookie: this.cookie } : {}),
        origin: PUBLIC_URL,
        "sec-fetch-site": "same-origin",
      }),
    });
  }

  async request<T = any>(
    method: string,
    path: string,
    options: { json?: unknown; body?: string; headers?: Record<string, string> } = {},
  ): Promise<Response2<T>> {
    const headers: Record<string, string> = { ...(this.cookie ? { cookie: this.cookie } : {}) };
    if (method !== "GET" && method !== "HEAD") {
      headers.origin = PUBLIC_URL;
      headers["sec-fetch-site"] = "same-origin";
    }
    let body: string | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] = "application/json";
    }
    Object.assign(headers, options.headers);
    for (const [k, v] of Object.entries(headers)) if (v === "") delete headers[k];
    const res = await this.app.request(path, { method, headers, body });
    const setCookie = res.headers.get("set-cookie");
    if (setCookie) {
      const pair = setCookie.split(";")[0] ?? "";
      this.cookie = pair.endsWith("=") ? "" : pair;
      if (/Max-Age=0/i.test(setCookie)) this.cookie = "";
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>("GET", path, headers ? { headers } : {});
  }
  post<T = any>(path: string, json?: unknown, headers?: Record<string, string>) {
    return this.request<T>("POST", path, { ...(json !== undefined ? { json } : {}), ...(headers ? { headers } : {}) });
  }
  patch<T = any>(path: string, json: unknown, headers?: Record<string, string>) {
    return this.request<T>("PATCH", path, { json, ...(headers ? { headers } : {}) });
  }
  delete<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>("DELETE", path, headers ? { headers } : {});
  }

  async login(email: string, password = PASSWORD) {
    const res = await this.post("/api/auth/login", { email, password });
    if (res.status !== 200) throw new Error(`login ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  }
}

/** One client per email, each signed in (together). */
export async function signedIn<E extends string[]>(app: TestApp["app"], ...emails: E): Promise<{ [K in keyof E]: Client }> {
  return (await Promise.all(
    emails.map(async (email) => {
      const client = new Client(app);
      await client.login(email);
      return client;
    }),
  )) as { [K in keyof E]: Client };
}

export const ADMIN = "admin@example.com";
export const VIEWER = "viewer@example.com";
export const ACME_OWNER = "owner@acme.example";

/** A valid create body; override what a test is about. */
export function connectionBody(overrides: Record<string, unknown> = {}) {
  return {
    name: `Deploy ${randomBytes(3).toString("hex")}`,
    type: "github-actions",
    rulesets: [
      {
        label: "main",
        subject: "repo:octo-org/api:ref:refs/heads/main",
        resources: ["octo-org/api"],
        scopes: ["pull", "push"],
      },
    ],
    ...overrides,
  };
}

// ---- Token service (SPEC §6) helpers ----

/** The RFC 8693 names, from their one home in packages/shared. */
export { ID_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT_TYPE as TOKEN_EXCHANGE_GRANT } from "@oidc/shared";
/** The development issuer of the test deployment (DEV_ISSUER=1). */
export const DEV_ISSUER_URL = `${PUBLIC_URL}/dev-issuer`;

/** An ID token from the app's development issuer; a claim given as null is left out. */
export async function mintIdToken(app: TestApp["app"], claims: Record<string, unknown> = {}): Promise<string> {
  const res = await app.request("/dev-issuer/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ claims }),
  });
  if (res.status !== 200) throw new Error(`dev issuer: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** What POST /oauth/token answers: the RFC 8693 response (200), or an RFC 6749 error; read the fields the status says are there. */
export type TokenAnswer = Partial<z.infer<typeof TokenExchangeResponseSchema> & z.infer<typeof OAuthErrorSchema>>;

/** POST /oauth/token as a workflow would (form-encoded unless `json` is set). */
export async function exchangeToken(
  app: TestApp["app"],
  params: Record<string, string | undefined>,
  options: { json?: boolean; headers?: Record<string, string> } = {},
): Promise<Response2<TokenAnswer>> {
  const defined = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const res = await app.request("/oauth/token", {
    method: "POST",
    headers: { "content-type": options.json ? "application/json" : "application/x-www-form-urlencoded", ...options.headers },
    body: options.json ? JSON.stringify(defined) : new URLSearchParams(defined).toString(),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: body as TokenAnswer };
}

/** The RFC 8693 answer of an exchange that must have been granted (else throws with the status and the error). */
export function granted(res: Response2<TokenAnswer>): z.infer<typeof TokenExchangeResponseSchema> {
  if (res.status !== 200) throw new Error(`the exchange was refused: ${res.status} ${JSON.stringify(res.body)}`);
  return TokenExchangeResponseSchema.parse(res.body);
}

/** The form a workflow sends for `subjectToken` to `connectionId`. */
export function exchangeParams(connectionId: string, subjectToken: string, extra: Record<string, string | undefined> = {}) {
  return {
    grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
    subject_token_type: ID_TOKEN_TYPE,
    subject_token: subjectToken,
    connection_id: connectionId,
    ...extra,
  };
}

// ---- The token side's fixture: an app with the development issuer, signed-in users, helpers ----

/** The token side's test deployment: the development issuer on, the token rate limits off. */
export const EXCHANGE_ENV: Record<string, string> = { DEV_ISSUER: "1", TOKEN_RATE_LIMIT_IP: "0", TOKEN_RATE_LIMIT_CONNECTION: "0" };

export interface ExchangeFixture {
  t: TestApp;
  /** Signed in as the demo org's owner (`ADMIN`). */
  admin: Client;
  /** Signed in as the demo org's member (`VIEWER`). */
  viewer: Client;
  /** Creates a connection of octo-org as the owner (`connectionBody(overrides)`; 201 expected), read with the API's schema. */
  createConnection(overrides?: Record<string, unknown>): Promise<Connection>;
  /** Mints an ID token with these claims at the development issuer and exchanges it for `connectionId`. */
  exchange(
    connectionId: string,
    claims?: Record<string, unknown>,
    extra?: Record<string, string | undefined>,
  ): ReturnType<typeof exchangeToken>;
}

/**
 * The setup the token-side tests share: the real app over a fresh database (`EXCHANGE_ENV`, then
 * `envOverrides`), the org's owner and member signed in. Close it with `fixture.t.close()`.
 */
export async function createExchangeFixture(kind: DbKind, envOverrides: Record<string, string> = {}): Promise<ExchangeFixture> {
  const t = await createTestApp(kind, { ...EXCHANGE_ENV, ...envOverrides });
  const [admin, viewer] = await signedIn(t.app, ADMIN, VIEWER);
  return {
    t,
    admin,
    viewer,
    async createConnection(overrides = {}) {
      const res = await admin.rpc().api.orgs[":org"]["oidc-connections"].$post({
        param: { org: "octo-org" },
        json: connectionBody(overrides) as ConnectionCreate,
      });
      if (res.status !== 201) throw new Error(`creating a connection: ${res.status} ${await res.text()}`);
      const created: Connection = await res.json();
      return ConnectionSchema.parse(created);
    },
    exchange: async (connectionId, claims = {}, extra = {}) =>
      exchangeToken(t.app, exchangeParams(connectionId, await mintIdToken(t.app, claims), extra)),
  };
}
