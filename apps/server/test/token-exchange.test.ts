import { createHmac, generateKeyPairSync } from "node:crypto";
import { sql } from "drizzle-orm";
import { CompactSign, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type Client,
  connectionBody,
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

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

describe.each(DB_KINDS)("token exchange (%s)", (kind) => {
  let f: ExchangeFixture;
  let t: TestApp;
  let admin: Client;
  let connectionId: string;
  let devKid: string;

  beforeAll(async () => {
    f = await createExchangeFixture(kind);
    ({ t, admin } = f);
    const created = await f.createConnection({
      name: "Release",
      issuer: DEV_ISSUER_URL,
      maxTokenTtlSeconds: 900,
      rulesets: [
        { label: "main", subject: "repo:octo-org/api:ref:refs/heads/main", resources: ["octo-org/api"], scopes: ["pull", "push"] },
        {
          label: "docs",
          subject: "repo:octo-org/*",
          conditions: [{ claim: "ref", pattern: "refs/heads/main" }],
          resources: ["octo-org/docs", "octo-org/api"],
          scopes: ["pull"],
        },
      ],
    });
    connectionId = created.id;
    const jwks = await t.app.request("/dev-issuer/.well-known/jwks");
    devKid = ((await jwks.json()) as { keys: { kid: string }[] }).keys[0]?.kid as string;
  });
  afterAll(() => t.close());

  const exchange = (claims: Record<string, unknown> = {}, extra: Record<string, string | undefined> = {}) =>
    f.exchange(connectionId, claims, extra);
  const expectError = (res: { status: number; body: any }, status: number, error: string, description: RegExp) => {
    expect({ status: res.status, error: res.body?.error }).toEqual({ status, error });
    expect(res.body.error_description).toMatch(description);
    expect(res.body.error_description).toMatch(/request id [\w-]+/);
  };

  it("exchanges a dev-issuer ID token for an access token that resource servers can verify", async () => {
    const res = await exchange();
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body).toEqual({
      access_token: expect.any(String),
      issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
      token_type: "Bearer",
      expires_in: 300,
      scope: "repository:octo-org/api:pull,push repository:octo-org/docs:pull",
    });

    const config = (await (await t.app.request("/.well-known/openid-configuration")).json()) as { jwks_uri: string; issuer: string };
    expect(config.issuer).toBe(PUBLIC_URL);
    const jwks = await (await t.app.request(new URL(config.jwks_uri).pathname)).json();
    expect(JSON.stringify(jwks)).not.toMatch(/"d"/);
    const { payload, protectedHeader } = await jwtVerify(granted(res).access_token, createLocalJWKSet(jwks as any), {
      issuer: PUBLIC_URL,
      audience: PUBLIC_URL,
      algorithms: ["ES256"],
    });
    expect(protectedHeader.kid).toEqual(expect.any(String));
    expect(payload).toMatchObject({
      sub: "repo:octo-org/api:ref:refs/heads/main",
      org: "octo-org",
      connection_id: connectionId,
      rulesets: ["main", "docs"],
      access: [
        { type: "repository", name: "octo-org/api", actions: ["pull", "push"] },
        { type: "repository", name: "octo-org/docs", actions: ["pull"] },
      ],
      repository: "octo-org/api",
      ref: "refs/heads/main",
      sha: expect.stringMatching(/^[0-9a-f]{40}$/),
      run_id: expect.any(String),
      jti: expect.any(String),
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(300);

    const bearer = { authorization: `Bearer ${res.body.access_token}` };
    const ok = await admin.get("/api/v1/repositories/octo-org/api/access", bearer);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ repository: "octo-org/api", actions: ["pull", "push"] });
    const noGrant = await admin.get("/api/v1/repositories/octo-org/web/access", bearer);
    expect(noGrant.status).toBe(403);
    const otherOrg = await admin.get("/api/v1/repositories/acme/api/access", bearer);
    expect(otherOrg.status).toBe(403);
    expect((await admin.get("/api/v1/repositories/octo-org/api/access")).status).toBe(401);
    expect((await admin.get("/api/v1/repositories/octo-org/api/access", { authorization: "Bearer abc.def.ghi" })).status).toBe(401);
    const tampered = `${granted(res).access_token.slice(0, -4)}AAAA`;
    expect((await admin.get("/api/v1/repositories/octo-org/api/access", { authorization: `Bearer ${tampered}` })).status).toBe(401);
  });

  it("accepts JSON bodies, the :jwt token type, and caps expires_in at the connection's maximum", async () => {
    const token = await mintIdToken(t.app);
    const res = await exchangeToken(
      t.app,
      exchangeParams(connectionId, token, { subject_token_type: "urn:ietf:params:oauth:token-type:jwt", expires_in: "3600" }),
      { json: true },
    );
    expect(res.status).toBe(200);
    expect(res.body.expires_in).toBe(900);
    expect((await exchange({}, { expires_in: "600" })).body.expires_in).toBe(600);
  });

  it("caps expires_in above the connection's maximum instead of refusing it (Docker's login action asks up to 21600)", async () => {
    for (const asked of ["3601", "21600", "999999999999"]) {
      const res = await exchange({}, { expires_in: asked });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.expires_in).toBe(900);
      const payload = JSON.parse(Buffer.from(granted(res).access_token.split(".")[1] as string, "base64url").toString());
      expect(payload.exp - payload.iat).toBe(900);
    }
    const json = await exchangeToken(t.app, exchangeParams(connectionId, await mintIdToken(t.app)), { json: true });
    expect(json.status).toBe(200);
    const numeric = await t.app.request("/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...exchangeParams(connectionId, await mintIdToken(t.app)), expires_in: 21600 }),
    });
    expect(((await numeric.json()) as { expires_in: number }).expires_in).toBe(900);
  });

  it("records the exchange: token.exchanged event and lastUsedAt of the connection and matched rulesets", async () => {
    const res = await exchange({ run_id: "777001" });
    expect(res.status).toBe(200);
    const events = await admin.get(`/api/orgs/octo-org/oidc-connections/${connectionId}/events`);
    const exchanged = events.body.items.find((e: any) => e.type === "token.exchanged" && e.details.runId === "777001");
    expect(exchanged).toMatchObject({
      outcome: "success",
      actor: { type: "workflow", id: "repo:octo-org/api:ref:refs/heads/main" },
      details: {
        rulesets: ["main", "docs"],
        access: [
          { resource: "octo-org/api", scopes: ["pull", "push"] },
          { resource: "octo-org/docs", scopes: ["pull"] },
        ],
        repository: "octo-org/api",
        ref: "refs/heads/main",
        workflow: "Release",
      },
    });
    const connection = await admin.get(`/api/orgs/octo-org/oidc-connections/${connectionId}`);
    expect(connection.body.lastUsedAt).toEqual(expect.any(String));
    for (const ruleset of connection.body.rulesets) expect(ruleset.lastUsedAt).toEqual(expect.any(String));
  });

  it("refuses a replayed token, also when 20 copies arrive at once", async () => {
    const token = await mintIdToken(t.app);
    expect((await exchangeToken(t.app, exchangeParams(connectionId, token))).status).toBe(200);
    expectError(await exchangeToken(t.app, exchangeParams(connectionId, token)), 400, "invalid_grant", /already used/);

    const burst = await mintIdToken(t.app);
    const results = await Promise.all(Array.from({ length: 20 }, () => exchangeToken(t.app, exchangeParams(connectionId, burst))));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 200)) expectError(r, 400, "invalid_grant", /already used/);
  });

  it.each([
    ["wrong grant type", { grant_type: "client_credentials" }, "unsupported_grant_type", /grant type/],
    ["missing grant type", { grant_type: undefined }, "invalid_request", /grant_type.*missing/],
    ["missing subject token", { subject_token: undefined }, "invalid_request", /subject_token.*missing/],
    ["missing token type", { subject_token_type: undefined }, "invalid_request", /subject_token_type.*missing/],
    ["wrong token type", { subject_token_type: "urn:ietf:params:oauth:token-type:saml2" }, "invalid_request", /subject_token_type/],
    ["missing connection id", { connection_id: undefined }, "invalid_request", /connection_id.*missing/],
    ["malformed connection id", { connection_id: "not-a-uuid" }, "invalid_request", /not a connection ID/],
    ["unknown connection", { connection_id: "00000000-0000-4000-8000-000000000000" }, "invalid_grant", /Unknown connection/],
    ["expires_in below 300", { expires_in: "299" }, "invalid_request", /expires_in/],
    ["expires_in not whole seconds", { expires_in: "600.5" }, "invalid_request", /expires_in/],
    ["expires_in negative", { expires_in: "-600" }, "invalid_request", /expires_in/],
    ["expires_in not a number", { expires_in: "5m" }, "invalid_request", /expires_in/],
    ["another audience requested", { audience: "https://registry.example" }, "invalid_target", /drop the audience/],
  ])("refuses a request with %s", async (_name, extra, error, description) => {
    const token = await mintIdToken(t.app);
    expectError(await exchangeToken(t.app, { ...exchangeParams(connectionId, token), ...extra }), 400, error, description);
  });

  it("refuses a parameter given twice and a body that is neither form nor JSON", async () => {
    const token = await mintIdToken(t.app);
    const body = `${new URLSearchParams(exchangeParams(connectionId, token))}&connection_id=${connectionId}`;
    const twice = await t.app.request("/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    });
    expect(await twice.json()).toMatchObject({ error: "invalid_request", error_description: expect.stringMatching(/more than once/) });
    const xml = await t.app.request("/oauth/token", { method: "POST", headers: { "content-type": "text/xml" }, body: "<x/>" });
    expect(xml.status).toBe(400);
  });

  it.each([
    ["another audience", { aud: "https://github.com/octo-org" }, /Audience mismatch/],
    ["no audience", { aud: null }, /Audience mismatch/],
    ["an audience array with another value", { aud: [PUBLIC_URL, "https://other.example"] }, /Audience mismatch/],
    ["an expired token", { iat: now() - 400, nbf: now() - 400, exp: now() - 100 }, /expired/],
    ["a token not yet valid", { nbf: now() + 600 }, /not yet valid/],
    ["a token issued in the future", { iat: now() + 600, nbf: null }, /not yet valid/],
    ["a token that is too old", { iat: now() - 2000, nbf: now() - 2000, exp: now() + 100 }, /too old/],
    ["no jti", { jti: null }, /no jti/],
    ["no sub", { sub: null }, /no sub/],
    ["no exp", { exp: null }, /no numeric exp/],
    ["another issuer", { iss: "https://token.actions.githubusercontent.com" }, /Issuer not trusted for this connection/],
    [
      "a subject no ruleset matches",
      { ref: "refs/heads/feature" },
      /No ruleset matches subject "repo:octo-org\/api:ref:refs\/heads\/feature"/,
    ],
  ])("refuses %s", async (_name, claims, description) => {
    const res = await exchange(claims);
    expectError(res, 400, "invalid_grant", description);
    expect(res.body.error_description).not.toMatch(/octo-org\/\*|refs\/heads\/main"|docs/);
  });

  it("accepts an audience array holding only our audience", async () => {
    expect((await exchange({ aud: [PUBLIC_URL] })).status).toBe(200);
  });

  describe("tokens crafted by an attacker", () => {
    const craft = (header: Record<string, unknown>, claims: Record<string, unknown>, signature = "c2ln") =>
      `${b64(header)}.${b64(claims)}.${signature}`;
    const claimsOf = async () => {
      const token = await mintIdToken(t.app);
      return JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()) as Record<string, unknown>;
    };
    const refuse = async (token: string, description: RegExp) =>
      expectError(await exchangeToken(t.app, exchangeParams(connectionId, token)), 400, "invalid_grant", description);

    it("refuses alg none", async () => {
      await refuse(`${b64({ alg: "none", kid: devKid })}.${b64(await claimsOf())}.`, /alg none/);
    });

    it("refuses HS256 signed with the issuer's public key", async () => {
      const jwk = (await (await t.app.request("/dev-issuer/.well-known/jwks")).json()) as { keys: object[] };
      const signingInput = `${b64({ alg: "HS256", kid: devKid })}.${b64(await claimsOf())}`;
      const mac = createHmac("sha256", JSON.stringify(jwk.keys[0])).update(signingInput).digest("base64url");
      await refuse(`${signingInput}.${mac}`, /HMAC/);
    });

    it("refuses a token signed by another key under the issuer's kid", async () => {
      const { privateKey } = await generateKeyPair("RS256");
      const forged = await new SignJWT(await claimsOf()).setProtectedHeader({ alg: "RS256", kid: devKid }).sign(privateKey);
      await refuse(forged, /Bad signature/);
    });

    it("refuses an unknown kid", async () => {
      const { privateKey } = await generateKeyPair("RS256");
      const forged = await new SignJWT(await claimsOf()).setProtectedHeader({ alg: "RS256", kid: "not-a-key" }).sign(privateKey);
      await refuse(forged, /Unknown key/);
    });

    it.each(["jwk", "jku", "x5u", "x5c"])("refuses key material in the header (%s)", async (name) => {
      const { privateKey, publicKey } = await generateKeyPair("RS256");
      const value = name === "jwk" ? await exportJWK(publicKey) : name === "x5c" ? ["MIIB"] : "https://attacker.example/keys";
      const forged = await new SignJWT(await claimsOf()).setProtectedHeader({ alg: "RS256", kid: devKid, [name]: value }).sign(privateKey);
      await refuse(forged, new RegExp(`Key material in the token header \\(${name}\\)`));
    });

    it("refuses crit headers", async () => {
      await refuse(craft({ alg: "RS256", kid: devKid, crit: ["exp"], exp: 1 }, await claimsOf()), /crit/);
    });

    it("refuses a tampered payload", async () => {
      const token = await mintIdToken(t.app);
      const [h, , s] = token.split(".");
      const claims = await claimsOf();
      await refuse(
        `${h}.${b64({ ...claims, sub: "repo:octo-org/api:ref:refs/heads/main", repository: "octo-org/web" })}.${s}`,
        /Bad signature/,
      );
    });

    it("refuses JWE and the JSON serialisation", async () => {
      await refuse("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d", /JWE/);
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const compact = await new CompactSign(new TextEncoder().encode(JSON.stringify(await claimsOf())))
        .setProtectedHeader({ alg: "RS256", kid: devKid })
        .sign(privateKey);
      const [protectedHeader, payload, signature] = compact.split(".");
      await refuse(JSON.stringify({ protected: protectedHeader, payload, signature }), /JSON serialisation/);
    });

    it("refuses a token over 16 KiB and a body over 64 KiB", async () => {
      const big = await mintIdToken(t.app, { padding: "x".repeat(17 * 1024) });
      await refuse(big, /larger than 16384/);
      const body = new URLSearchParams({ ...exchangeParams(connectionId, "x"), padding: "y".repeat(65 * 1024) }).toString();
      const res = await t.app.request("/oauth/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error: "invalid_request" });
    });
  });

  it("writes token.denied events with reason codes, and the closest ruleset for no match", async () => {
    await exchange({ ref: "refs/heads/topic", run_id: "888001" });
    await exchange({ aud: "https://github.com/octo-org", run_id: "888002" });
    const events = await admin.get(`/api/orgs/octo-org/oidc-connections/${connectionId}/events`);
    const denied = events.body.items.filter((e: any) => e.type === "token.denied");
    const noMatch = denied.find((e: any) => e.details.job?.runId === "888001");
    expect(noMatch).toMatchObject({
      outcome: "failure",
      reason: "no_matching_ruleset",
      details: { verified: true, diagnosis: { label: expect.any(String), failed: expect.any(Object) } },
    });
    expect(denied.find((e: any) => e.details.job?.runId === "888002")).toMatchObject({
      reason: "audience_mismatch",
      actor: { name: "unverified workflow" },
    });
  });

  it("refuses an untrusted connection issuer and an inactive connection, and deactivation revokes issued tokens", async () => {
    const created = await admin.post("/api/orgs/octo-org/oidc-connections", connectionBody({ name: "Revocable", issuer: DEV_ISSUER_URL }));
    const id = created.body.id as string;
    const issued = await exchangeToken(t.app, exchangeParams(id, await mintIdToken(t.app)));
    expect(issued.status).toBe(200);
    const bearer = { authorization: `Bearer ${issued.body.access_token}` };
    expect((await admin.get("/api/v1/repositories/octo-org/api/access", bearer)).status).toBe(200);

    expect((await admin.post(`/api/orgs/octo-org/oidc-connections/${id}/deactivate`)).status).toBe(200);
    expectError(await exchangeToken(t.app, exchangeParams(id, await mintIdToken(t.app))), 400, "invalid_grant", /Connection inactive/);
    expect((await admin.get("/api/v1/repositories/octo-org/api/access", bearer)).status).toBe(401);

    expect((await admin.post(`/api/orgs/octo-org/oidc-connections/${id}/activate`)).status).toBe(200);
    expect((await admin.get("/api/v1/repositories/octo-org/api/access", bearer)).status).toBe(401);
    const fresh = await exchangeToken(t.app, exchangeParams(id, await mintIdToken(t.app)));
    expect(fresh.status).toBe(200);

    await t.db.handle.db.execute(sql`update connections set issuer = 'https://untrusted.example', version = version + 1 where id = ${id}`);
    expectError(await exchangeToken(t.app, exchangeParams(id, await mintIdToken(t.app))), 400, "invalid_grant", /Issuer not trusted/);

    expect((await admin.delete(`/api/orgs/octo-org/oidc-connections/${id}`)).status).toBe(204);
    expect(
      (await admin.get("/api/v1/repositories/octo-org/api/access", { authorization: `Bearer ${fresh.body.access_token}` })).status,
    ).toBe(401);
  });

  it("re-activation: a token issued just after it works at once, one issued before the deactivation stays revoked (same second)", async () => {
    const created = await admin.post("/api/orgs/octo-org/oidc-connections", connectionBody({ name: "Flapping", issuer: DEV_ISSUER_URL }));
    const id = created.body.id as string;
    const access = (token: string) => admin.get("/api/v1/repositories/octo-org/api/access", { authorization: `Bearer ${token}` });
    // Every step inside one wall-clock second: whole-second iat cannot tell them apart.
    const second = (Math.floor(Date.now() / 1000) + 1) * 1000;
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(second + 100);
      const before = await exchangeToken(t.app, exchangeParams(id, await mintIdToken(t.app)));
      expect(before.status).toBe(200);
      vi.setSystemTime(second + 300);
      expect((await admin.post(`/api/orgs/octo-org/oidc-connections/${id}/deactivate`)).status).toBe(200);
      vi.setSystemTime(second + 500);
      expect((await admin.post(`/api/orgs/octo-org/oidc-connections/${id}/activate`)).status).toBe(200);
      vi.setSystemTime(second + 700);
      const after = await exchangeToken(t.app, exchangeParams(id, await mintIdToken(t.app)));
      expect(after.status).toBe(200);
      expect((await access(granted(after).access_token)).status).toBe(200);
      const refused = await access(granted(before).access_token);
      expect(refused.status).toBe(401);
      expect(refused.headers.get("www-authenticate")).toMatch(/deactivated after it was issued/);
    } finally {
      vi.useRealTimers();
    }
  });

  it("applies a ruleset edit to the very next exchange (no stale cached configuration)", async () => {
    const created = await admin.post("/api/orgs/octo-org/oidc-connections", connectionBody({ name: "Edited", issuer: DEV_ISSUER_URL }));
    const id = created.body.id as string;
    expect((await exchangeToken(t.app, exchangeParams(id, await mintIdToken(t.app)))).status).toBe(200);
    const narrowed = await admin.patch(
      `/api/orgs/octo-org/oidc-connections/${id}`,
      {
        rulesets: [
          { label: "release", subject: "repo:octo-org/api:ref:refs/heads/release", resources: ["octo-org/api"], scopes: ["pull"] },
        ],
      },
      { "if-match": created.headers.get("etag") as string },
    );
    expect(narrowed.status).toBe(200);
    expectError(await exchangeToken(t.app, exchangeParams(id, await mintIdToken(t.app))), 400, "invalid_grant", /No ruleset matches/);
    const release = await exchangeToken(t.app, exchangeParams(id, await mintIdToken(t.app, { ref: "refs/heads/release" })));
    expect(release.status).toBe(200);
    expect(release.body.scope).toBe("repository:octo-org/api:pull");
  });

  it("answers 503 and issues nothing when the replay claim cannot be written", async () => {
    const token = await mintIdToken(t.app, { run_id: "999001" });
    await t.db.handle.db.execute(sql`alter table used_jtis rename to used_jtis_offline`);
    try {
      const res = await exchangeToken(t.app, exchangeParams(connectionId, token));
      expect(res.status).toBe(503);
      expect(res.body.error).toBe("temporarily_unavailable");
      expect(res.body.access_token).toBeUndefined();
    } finally {
      await t.db.handle.db.execute(sql`alter table used_jtis_offline rename to used_jtis`);
    }
    const events = await admin.get(`/api/orgs/octo-org/oidc-connections/${connectionId}/events`);
    expect(events.body.items.some((e: any) => e.type === "token.exchanged" && e.details.runId === "999001")).toBe(false);
    // The token was not consumed: it works once the database is back.
    expect((await exchangeToken(t.app, exchangeParams(connectionId, token))).status).toBe(200);
  });
});

describe("token endpoint limits and outages", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("pglite", { DEV_ISSUER: "1", TOKEN_RATE_LIMIT_IP: "3", TRUST_PROXY: "1" });
  });
  afterAll(() => t.close().catch(() => {}));
  const post = (ip: string) =>
    exchangeToken(t.app, exchangeParams("00000000-0000-4000-8000-000000000000", "a.b.c"), { headers: { "x-forwarded-for": ip } });

  it("answers 429 with Retry-After past the per-client limit", async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof exchangeToken>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await post("10.0.0.9");
      statuses.push(last.status);
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
    expect(Number(last?.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("answers 503 when the database is gone", async () => {
    await t.db.handle.close();
    const res = await post("10.0.0.1");
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: "temporarily_unavailable" });
    expect(res.headers.get("retry-after")).toBeTruthy();
  });
});
