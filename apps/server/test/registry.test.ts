import { decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../src/app";
import { keyringOf } from "../src/keys/vault";
import { x509 } from "../src/registry/certificates";
import { rotateSigningKey } from "../src/token/keys";
import {
  Client,
  createExchangeFixture,
  createTestApp,
  DB_KINDS,
  DEV_ISSUER_URL,
  type ExchangeFixture,
  exchangeParams,
  exchangeToken,
  granted,
  mintIdToken,
  PUBLIC_URL,
  type TestApp,
} from "./support/harness";

/** The registry token service (SPEC §9) over a real database, without a registry (see registry-e2e.test.ts for one). */
const SERVICE = "localhost:3000"; // host and port of PUBLIC_URL: the default REGISTRY_SERVICE
const REALM = `${PUBLIC_URL}/registry/token`;
const basic = (password: string, username = "octo-org") => `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;

type Json = Record<string, any>;

async function call(app: TestApp["app"], path: string, init: RequestInit = {}) {
  const res = await app.request(path, init);
  const text = await res.text();
  let body: Json | string = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: body as Json };
}

/** Checks the `x5c` chain against the CA and the signature with the leaf's key; returns header, claims and leaf. */
async function verifyRegistryToken(token: string, caPem: string, audience = SERVICE) {
  const header = decodeProtectedHeader(token);
  expect(header).toMatchObject({ alg: "ES256", typ: "JWT" });
  expect(header.x5c).toHaveLength(1);
  const ca = new x509.X509Certificate(caPem);
  const leaf = new x509.X509Certificate(Buffer.from(header.x5c?.[0] as string, "base64"));
  expect(leaf.issuer).toBe(ca.subject);
  expect(await leaf.verify({ publicKey: ca.publicKey, date: new Date() })).toBe(true);
  const { payload } = await jwtVerify(token, await leaf.publicKey.export(), { issuer: PUBLIC_URL, audience, algorithms: ["ES256"] });
  return { header, claims: payload, leaf };
}

describe.each(DB_KINDS)("registry token service (%s)", (kind) => {
  let f: ExchangeFixture;
  let t: TestApp;
  let admin: Client;
  let connectionId: string;
  let caPem: string;

  beforeAll(async () => {
    f = await createExchangeFixture(kind);
    ({ t, admin } = f);
    connectionId = await createConnection("Publish");
    caPem = (await call(t.app, "/registry/ca.pem")).body as unknown as string;
  });
  afterAll(() => t.close());

  async function createConnection(name: string): Promise<string> {
    const created = await f.createConnection({
      name,
      issuer: DEV_ISSUER_URL,
      rulesets: [
        { label: "main", subject: "repo:octo-org/api:ref:refs/heads/main", resources: ["octo-org/api"], scopes: ["pull", "push"] },
        { label: "docs", subject: "repo:octo-org/api:ref:refs/heads/main", resources: ["octo-org/docs"], scopes: ["pull"] },
      ],
    });
    return created.id;
  }

  /** An access token living 15 minutes, so that registry tokens get their full 300 s. */
  async function accessToken(id = connectionId): Promise<string> {
    const res = await f.exchange(id, {}, { expires_in: "900" });
    expect(res.status).toBe(200);
    return granted(res).access_token;
  }

  const get = (query: string, authorization?: string, app = t.app) =>
    call(app, `/registry/token?${query}`, authorization ? { headers: { authorization } } : {});
  const post = (form: Record<string, string>) =>
    call(t.app, "/registry/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    });
  const events = async (id = connectionId) =>
    ((await admin.get(`/api/orgs/octo-org/oidc-connections/${id}/events`)).body.items as Json[]).filter((e) => e.type === "registry.token");

  it("GET /api/config tells signed-in users the registry service (the console's snippet logs in to it)", async () => {
    expect((await admin.get("/api/config")).body).toEqual({ registryService: SERVICE });
    expect((await new Client(t.app).get("/api/config")).status).toBe(401);
  });

  it("serves the registry CA as PEM: a CA certificate", async () => {
    const res = await call(t.app, "/registry/ca.pem");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-pem-file");
    expect(caPem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/);
    const ca = new x509.X509Certificate(caPem);
    expect(ca.subject).toBe(ca.issuer);
    expect(ca.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    expect(await ca.verify({ date: new Date() })).toBe(true);
  });

  it("GET (docker, skopeo): the requested scopes the access token grants, signed with an x5c chain to the CA", async () => {
    const access = await accessToken();
    const res = await get(
      `service=${SERVICE}&scope=repository:octo-org/api:pull,push,delete&scope=repository:octo-org/docs:pull,push` +
        "&scope=repository:octo-org/web:pull&scope=registry:catalog:*&account=octo-org",
      basic(access),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(Object.keys(res.body).sort()).toEqual(["access_token", "expires_in", "issued_at", "token"]);
    expect(res.body.access_token).toBe(res.body.token);
    const { claims, header, leaf } = await verifyRegistryToken(res.body.token, caPem);
    const accessClaims = decodeJwt(access);
    expect(claims).toMatchObject({ iss: PUBLIC_URL, aud: SERVICE, sub: accessClaims.sub });
    expect(typeof claims.aud).toBe("string");
    expect(claims.access).toEqual([
      { type: "repository", name: "octo-org/api", actions: ["pull", "push"] },
      { type: "repository", name: "octo-org/docs", actions: ["pull"] },
    ]);
    expect(claims.nbf).toBe(claims.iat);
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);
    expect(claims.exp).toBeLessThanOrEqual(accessClaims.exp as number);
    expect(res.body.expires_in).toBe(300);
    expect(new Date(res.body.issued_at).getTime() / 1000).toBe(claims.iat);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    // The leaf certifies the key that signs access tokens.
    expect(header.kid).toBe(decodeProtectedHeader(access).kid);
    expect(leaf.subject).toContain(header.kid as string);
  });

  it("POST (containerd, buildkit): grant_type=password with space-separated scopes; no refresh token", async () => {
    const access = await accessToken();
    const res = await post({
      grant_type: "password",
      username: "octo-org",
      password: access,
      service: SERVICE,
      scope: "repository:octo-org/api:pull repository:octo-org/api:push",
      client_id: "containerd-client",
    });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
    const { claims } = await verifyRegistryToken(res.body.token, caPem);
    expect(claims.access).toEqual([{ type: "repository", name: "octo-org/api", actions: ["pull", "push"] }]);

    const refresh = await post({ grant_type: "refresh_token", refresh_token: "x", service: SERVICE });
    expect(refresh.status).toBe(400);
    expect(refresh.body.errors[0]).toMatchObject({ code: "INVALID_REQUEST", message: expect.stringMatching(/no refresh tokens/) });
  });

  it("`*` asks for pull, push and delete; the answer keeps what is granted", async () => {
    const res = await get(`service=${SERVICE}&scope=repository:octo-org/api:*`, basic(await accessToken()));
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.token).access).toEqual([{ type: "repository", name: "octo-org/api", actions: ["pull", "push"] }]);
  });

  it("docker login (no scope, client_id, offline_token): a token with no access", async () => {
    const res = await get(`account=octo-org&client_id=docker&offline_token=true&service=${SERVICE}`, basic(await accessToken()));
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
    expect(decodeJwt(res.body.token).access).toEqual([]);
  });

  it("another or a missing service is a 400 in the registry's format", async () => {
    const access = await accessToken();
    for (const query of ["service=registry.other.example&scope=repository:octo-org/api:pull", "scope=repository:octo-org/api:pull"]) {
      const res = await get(query, basic(access));
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ code: "INVALID_REQUEST", message: expect.stringContaining(SERVICE) });
    }
  });

  it.each([
    ["no actions", "repository:octo-org/api"],
    ["an empty name", "repository::pull"],
    ["an upper-case repository name", "repository:Octo-Org/API:pull"],
    ["an invalid action", "repository:octo-org/api:pull;rm"],
    ["an empty action", "repository:octo-org/api:pull,"],
    ["an invalid type", "Repo$:octo-org/api:pull"],
  ])("a malformed scope (%s) is a 400", async (_what, scope) => {
    const res = await get(`service=${SERVICE}&scope=${encodeURIComponent(scope)}`, basic(await accessToken()));
    expect(res.status).toBe(400);
    expect(res.body.errors[0].code).toBe("INVALID_REQUEST");
  });

  it("no credentials, a bad token or a revoked one: 401 with a Basic challenge naming the realm", async () => {
    const access = await accessToken();
    const [head, payload, signature] = access.split(".") as [string, string, string];
    const tampered = `${head}.${payload}.${signature.slice(0, -4)}${signature.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    const id = await createConnection("Revoked");
    const revoked = await accessToken(id);
    expect((await admin.post(`/api/orgs/octo-org/oidc-connections/${id}/deactivate`)).status).toBe(200);
    for (const [authorization, message] of [
      [undefined, /access token/],
      ["Bearer abc", /access token/],
      [basic("not-a-token"), /malformed/],
      [basic(tampered), /signature/i],
      [basic(revoked), /inactive/],
    ] as const) {
      const res = await get(`service=${SERVICE}&scope=repository:octo-org/api:pull`, authorization);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe(`Basic realm="${REALM}"`);
      expect(res.body.errors[0]).toMatchObject({ code: "UNAUTHORIZED", message: expect.stringMatching(message) });
    }
    expect(await events(id)).toEqual([]);
  });

  it("records one registry.token event per access token and scope set", async () => {
    const id = await createConnection("Events");
    const access = await accessToken(id);
    const pull = `service=${SERVICE}&scope=repository:octo-org/api:pull`;
    for (let i = 0; i < 3; i++) expect((await get(pull, basic(access, "octo-org"))).status).toBe(200);
    // The same set asked in another order is the same set.
    const pushPull = await get(
      `service=${SERVICE}&scope=repository:octo-org/api:push&scope=repository:octo-org/api:pull&scope=repository:octo-org/web:pull`,
      basic(access),
    );
    expect(pushPull.status).toBe(200);
    expect(
      (await get(`service=${SERVICE}&scope=repository:octo-org/web:pull&scope=repository:octo-org/api:pull,push`, basic(access))).status,
    ).toBe(200);
    // Concurrent twins still make one event (the unique index, across processes too).
    const fresh = createApp(t.deps);
    await Promise.all([get(pull, basic(access), fresh), get(pull, basic(access), createApp(t.deps))]);

    const recorded = await events(id);
    expect(recorded).toHaveLength(2);
    const [second, first] = recorded as [Json, Json];
    expect(first).toMatchObject({
      type: "registry.token",
      outcome: "success",
      actor: { type: "workflow", id: "repo:octo-org/api:ref:refs/heads/main", name: "octo-org/api" },
      details: {
        tokenId: decodeJwt(access).jti,
        service: SERVICE,
        username: "octo-org",
        scope: "repository:octo-org/api:pull",
        access: [{ type: "repository", name: "octo-org/api", actions: ["pull"] }],
      },
    });
    expect(second.details).toMatchObject({
      scope: "repository:octo-org/api:pull,push repository:octo-org/web:pull",
      access: [{ type: "repository", name: "octo-org/api", actions: ["pull", "push"] }],
    });
    // Another access token of the same job is another event.
    expect((await get(pull, basic(await accessToken(id)))).status).toBe(200);
    expect(await events(id)).toHaveLength(3);
  });

  it("when the access token has less than a minute left: exp stays at its exp, expires_in is 60", async () => {
    const access = await accessToken();
    const exp = decodeJwt(access).exp as number;
    vi.useFakeTimers({ toFake: ["Date"], now: (exp - 20) * 1000 });
    try {
      const res = await get(`service=${SERVICE}&scope=repository:octo-org/api:pull`, basic(access));
      expect(res.status).toBe(200);
      expect(res.body.expires_in).toBe(60);
      expect(decodeJwt(res.body.token)).toMatchObject({ exp, iat: exp - 20 });
    } finally {
      vi.useRealTimers();
    }
  });

  it("keys:rotate: the CA stays; tokens of the new key carry its certificate from the same CA", async () => {
    const { kid } = await rotateSigningKey(t.deps.database.db, keyringOf(t.deps.env));
    const fresh = createApp(t.deps);
    expect((await call(fresh, "/registry/ca.pem")).body).toBe(caPem);
    const access = await exchangeToken(fresh, exchangeParams(connectionId, await mintIdToken(fresh)));
    const res = await get(`service=${SERVICE}&scope=repository:octo-org/api:pull`, basic(granted(access).access_token), fresh);
    expect(res.status).toBe(200);
    const { header, leaf } = await verifyRegistryToken(res.body.token, caPem);
    expect(header.kid).toBe(kid);
    expect(leaf.subject).toContain(kid);
  });
});

describe("registry token service: rate limits shared with the token endpoint", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("pglite", { DEV_ISSUER: "1", TOKEN_RATE_LIMIT_IP: "3" });
  });
  afterAll(() => t.close());

  it("counts realm requests against the exchange's per-client budget: 429 with Retry-After", async () => {
    const ok = await call(t.app, `/registry/token?service=${SERVICE}`);
    expect(ok.status).toBe(401);
    await exchangeToken(t.app, { grant_type: "x" });
    expect((await call(t.app, `/registry/token?service=${SERVICE}`)).status).toBe(401);
    const limited = await call(t.app, `/registry/token?service=${SERVICE}`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.body.errors[0].code).toBe("TOOMANYREQUESTS");
    expect((await exchangeToken(t.app, { grant_type: "x" })).status).toBe(429);
  });
});

describe("registry token service: database down", () => {
  let f: ExchangeFixture;
  beforeAll(async () => {
    f = await createExchangeFixture("pglite");
  });
  afterAll(() => f.t.close().catch(() => {}));

  it("answers 503 with Retry-After (never 500) for the CA and the realm", async () => {
    const { t } = f;
    const created = await f.createConnection({ name: "Down", issuer: DEV_ISSUER_URL });
    const exchanged = await f.exchange(created.id);
    const fresh = createApp(t.deps); // nothing cached: every answer needs the database
    await t.db.handle.close();

    const ca = await call(fresh, "/registry/ca.pem");
    expect(ca.status).toBe(503);
    expect(ca.headers.get("retry-after")).toBe("5");
    const realm = await call(fresh, `/registry/token?service=${SERVICE}&scope=repository:octo-org/api:pull`, {
      headers: { authorization: basic(granted(exchanged).access_token) },
    });
    expect(realm.status).toBe(503);
    expect(realm.headers.get("retry-after")).toBe("5");
    expect(realm.body.errors[0].code).toBe("UNAVAILABLE");
  });
});
