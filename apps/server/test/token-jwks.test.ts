import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenError } from "../src/token/errors";
import { JwksCache } from "../src/token/jwks";
import { ADMIN, Client, connectionBody, createTestApp, exchangeParams, exchangeToken, PUBLIC_URL, type TestApp } from "./support/harness";

interface FakeIssuer {
  url: string;
  up: boolean;
  keys: JWK[];
  jwksFetches: number;
  /** Overrides the JWKS body (e.g. an oversized document). */
  body?: string;
  close(): Promise<void>;
}

/** A GitHub-like issuer on 127.0.0.1: discovery and a JWKS that the test can switch off or change. */
async function startFakeIssuer(): Promise<FakeIssuer> {
  const state = { up: true, keys: [] as JWK[], jwksFetches: 0, body: undefined as string | undefined };
  let url = "";
  const server: Server = createServer((req, res) => {
    if (!state.up) {
      res.writeHead(503).end();
      return;
    }
    if (req.url === "/.well-known/openid-configuration") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ issuer: url, jwks_uri: `${url}/keys` }));
    } else if (req.url === "/keys") {
      state.jwksFetches++;
      res.writeHead(200, { "content-type": "application/json" }).end(state.body ?? JSON.stringify({ keys: state.keys }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as FakeIssuer;
}

async function newKey(kid: string): Promise<{ kid: string; privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

const reasonOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return "ok";
  } catch (error) {
    if (error instanceof TokenError) return error.reason;
    throw error;
  }
};

describe("issuer keys (JWKS cache)", () => {
  let issuer: FakeIssuer;
  let clock = 1_000_000;
  const cache = () =>
    new JwksCache({
      fetch: (url, init) => fetch(url, init),
      cooldownMs: 30_000,
      refreshMs: 600_000,
      maxStaleMs: 3_600_000,
      timeoutMs: 2000,
      maxBytes: 64 * 1024,
      now: () => clock,
    });

  beforeAll(async () => {
    issuer = await startFakeIssuer();
  });
  afterAll(() => issuer.close());

  it("fetches once, then serves keys from memory", async () => {
    const a = await newKey("a");
    issuer.keys = [a.jwk];
    issuer.jwksFetches = 0;
    const c = cache();
    await Promise.all(Array.from({ length: 10 }, () => c.getKey(issuer.url, "a")));
    await c.getKey(issuer.url, "a");
    expect(issuer.jwksFetches).toBe(1);
  });

  it("a flood of unknown kids causes at most one fetch per cool-down, shared by concurrent misses", async () => {
    issuer.keys = [(await newKey("a")).jwk];
    issuer.jwksFetches = 0;
    const c = cache();
    await c.getKey(issuer.url, "a");
    const flood = () => Promise.all(Array.from({ length: 50 }, (_, i) => reasonOf(c.getKey(issuer.url, `unknown-${i}-${randomUUID()}`))));
    expect(new Set(await flood())).toEqual(new Set(["unknown_key"]));
    expect(issuer.jwksFetches).toBe(1); // still inside the cool-down of the first fetch
    clock += 31_000;
    expect(new Set(await flood())).toEqual(new Set(["unknown_key"]));
    expect(issuer.jwksFetches).toBe(2); // one shared fetch for 50 concurrent misses
    expect(new Set(await flood())).toEqual(new Set(["unknown_key"]));
    expect(issuer.jwksFetches).toBe(2);
  });

  it("picks up a key the issuer rotated in, after the cool-down", async () => {
    const a = await newKey("a");
    const b = await newKey("b");
    issuer.keys = [a.jwk];
    const c = cache();
    await c.getKey(issuer.url, "a");
    issuer.keys = [a.jwk, b.jwk];
    clock += 31_000;
    expect(await reasonOf(c.getKey(issuer.url, "b"))).toBe("ok");
    issuer.keys = [b.jwk];
    clock += 700_000; // past the refresh interval: refreshed in the background, "a" still served this time
    expect(await reasonOf(c.getKey(issuer.url, "a"))).toBe("ok");
  });

  it("keeps the last good keys while the issuer is down, up to the maximum staleness, then answers 503", async () => {
    issuer.up = true;
    issuer.body = undefined;
    issuer.keys = [(await newKey("a")).jwk];
    const c = cache();
    await c.getKey(issuer.url, "a");
    issuer.up = false;
    clock += 1_800_000;
    expect(await reasonOf(c.getKey(issuer.url, "a"))).toBe("ok");
    clock += 31_000;
    expect(await reasonOf(c.getKey(issuer.url, "new-kid"))).toBe("unknown_key");
    clock += 1_800_000; // now past an hour since the last good fetch
    expect(await reasonOf(c.getKey(issuer.url, "a"))).toBe("issuer_unavailable");
    issuer.up = true;
    clock += 31_000;
    expect(await reasonOf(c.getKey(issuer.url, "a"))).toBe("ok");
  });

  it("answers 503 with no keys at all, for an oversized JWKS, and for a discovery document naming another issuer", async () => {
    issuer.up = false;
    expect(await reasonOf(cache().getKey(issuer.url, "a"))).toBe("issuer_unavailable");
    issuer.up = true;
    issuer.body = JSON.stringify({ keys: [issuer.keys[0]], padding: "x".repeat(70 * 1024) });
    expect(await reasonOf(cache().getKey(issuer.url, "a"))).toBe("issuer_unavailable");
    issuer.body = undefined;
    expect(await reasonOf(cache().getKey(`${issuer.url}/`, "a"))).toBe("issuer_unavailable");
  });
});

describe("exchange with an external issuer", () => {
  let issuer: FakeIssuer;
  let down: FakeIssuer;
  let t: TestApp;
  let key: Awaited<ReturnType<typeof newKey>>;
  let connectionId: string;
  let downConnectionId: string;

  const sign = (k: { kid: string; privateKey: CryptoKey }, iss = issuer.url) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      sub: "repo:octo-org/api:ref:refs/heads/main",
      ref: "refs/heads/main",
      repository: "octo-org/api",
      jti: randomUUID(),
    })
      .setProtectedHeader({ alg: "RS256", kid: k.kid })
      .setIssuer(iss)
      .setAudience(PUBLIC_URL)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(k.privateKey);
  };

  beforeAll(async () => {
    issuer = await startFakeIssuer();
    down = await startFakeIssuer();
    down.up = false;
    key = await newKey("gh-1");
    issuer.keys = [key.jwk];
    t = await createTestApp("pglite", { TRUSTED_ISSUERS: `${issuer.url},${down.url}`, TOKEN_RATE_LIMIT_IP: "0", JWKS_COOLDOWN: "60" });
    const admin = new Client(t.app);
    await admin.login(ADMIN);
    connectionId = (await admin.post("/api/orgs/octo-org/oidc-connections", connectionBody({ name: "External", issuer: issuer.url }))).body
      .id;
    downConnectionId = (await admin.post("/api/orgs/octo-org/oidc-connections", connectionBody({ name: "Down", issuer: down.url }))).body
      .id;
  });
  afterAll(async () => {
    await t.close();
    await issuer.close();
    await down.close();
  });

  it("verifies against the issuer's JWKS, keeps working while it is down, and limits fetches for unknown kids", async () => {
    expect((await exchangeToken(t.app, exchangeParams(connectionId, await sign(key)))).status).toBe(200);
    expect(issuer.jwksFetches).toBe(1);

    const stranger = await newKey("unknown");
    const flood = await Promise.all(
      Array.from({ length: 20 }, async (_, i) =>
        exchangeToken(t.app, exchangeParams(connectionId, await sign({ ...stranger, kid: `k${i}` }))),
      ),
    );
    for (const res of flood)
      expect(res.body).toMatchObject({ error: "invalid_grant", error_description: expect.stringMatching(/Unknown key/) });
    expect(issuer.jwksFetches).toBe(1); // within the 60 s cool-down of the first fetch

    issuer.up = false;
    expect((await exchangeToken(t.app, exchangeParams(connectionId, await sign(key)))).status).toBe(200);
    issuer.up = true;
  });

  it("answers 503 temporarily_unavailable when the issuer has never been reachable", async () => {
    const res = await exchangeToken(t.app, exchangeParams(downConnectionId, await sign(key, down.url)));
    expect(res.status).toBe(503);
    expect(res.body.error).toBe("temporarily_unavailable");
    expect(res.headers.get("retry-after")).toBeTruthy();
  });

  it("records the refusal as token.denied (issuer_unavailable): the database is fine, the admin should know", async () => {
    const res = await exchangeToken(t.app, exchangeParams(downConnectionId, await sign(key, down.url)));
    expect(res.status).toBe(503);
    const admin = new Client(t.app);
    await admin.login(ADMIN);
    const events = await admin.get(`/api/orgs/octo-org/oidc-connections/${downConnectionId}/events`);
    expect(events.body.items.filter((e: { type: string }) => e.type === "token.denied")[0]).toMatchObject({
      reason: "issuer_unavailable",
      details: { error: "temporarily_unavailable", verified: false },
    });
  });
});
