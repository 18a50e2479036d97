import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { CONNECTIONS, expectError, expectNoLeak, query } from "./admin-support";
import {
  ADMIN,
  Client,
  connectionBody,
  createTestApp,
  DB_KINDS,
  PASSWORD,
  PUBLIC_URL,
  type TestApp,
  testEnv,
  VIEWER,
} from "./support/harness";

describe.each(DB_KINDS)("admin API: sessions and access (%s)", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(() => t.close());

  it("login sets an HttpOnly SameSite=Lax session cookie and answers {user, memberships}; /api/me agrees", async () => {
    const c = new Client(t.app);
    const res = await c.login(ADMIN);
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^oidc_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//i);
    expect(cookie).not.toMatch(/Secure/i);
    expect(res.body.user).toEqual({ id: expect.any(String), email: ADMIN, name: expect.any(String) });
    expect(res.body.memberships).toEqual([{ org: expect.objectContaining({ slug: "octo-org", name: "Octo Org" }), role: "owner" }]);
    const me = await c.get("/api/me");
    expect(me.status).toBe(200);
    expect(me.body).toEqual(res.body);
    // The email is matched ignoring case.
    const again = await new Client(t.app).login(ADMIN.toUpperCase());
    expect(again.body.user.email).toBe(ADMIN);
  });

  it("behind https the cookie is __Host- prefixed and Secure", async () => {
    const https = createApp({ ...t.deps, env: testEnv({ PUBLIC_URL: "https://oidc.example" }) });
    const res = await new Client(https).post(
      "/api/auth/login",
      { email: ADMIN, password: PASSWORD },
      { origin: "https://oidc.example", "sec-fetch-site": "" },
    );
    expect(res.status).toBe(200);
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^__Host-oidc_session=/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/HttpOnly/i);
  });

  it("wrong password and unknown email get the same 401 invalid_credentials", async () => {
    const c = new Client(t.app);
    const wrong = await c.post("/api/auth/login", { email: ADMIN, password: "not-the-password" });
    const unknown = await c.post("/api/auth/login", { email: "nobody@example.com", password: "not-the-password" });
    expectError(wrong, 401, "invalid_credentials");
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(c.cookie).toBe("");
  });

  it("login with a malformed body is a 400 with issues", async () => {
    const res = await new Client(t.app).post("/api/auth/login", { email: "not-an-email", password: "" });
    expectError(res, 400, "validation_failed");
    const extra = await new Client(t.app).post("/api/auth/login", { email: ADMIN, password: PASSWORD, admin: true });
    expectError(extra, 400, "validation_failed");
    expect(extra.body.error.issues).toEqual([expect.objectContaining({ path: ["admin"] })]);
  });

  it("every /api/orgs endpoint is 401 unauthenticated without a session, and with a forged cookie", async () => {
    const anon = new Client(t.app);
    const paths = [
      ["GET", CONNECTIONS],
      ["GET", `${CONNECTIONS}/00000000-0000-4000-8000-000000000000`],
      ["GET", "/api/orgs/octo-org/repositories"],
      ["GET", "/api/orgs/nope/oidc-connections"],
      ["POST", CONNECTIONS],
      ["GET", "/api/me"],
    ] as const;
    for (const [method, path] of paths) {
      const res = await anon.request(method, path, method === "POST" ? { json: connectionBody() } : {});
      expectError(res, 401, "unauthenticated");
    }
    anon.cookie = `oidc_session=${"A".repeat(43)}`;
    expectError(await anon.get(CONNECTIONS), 401, "unauthenticated");
  });

  it("a new session id at every login: the old one dies", async () => {
    const c = new Client(t.app);
    await c.login(ADMIN);
    const first = c.cookie;
    await c.login(ADMIN);
    const second = c.cookie;
    expect(second).not.toBe(first);
    const old = new Client(t.app);
    old.cookie = first;
    expectError(await old.get("/api/me"), 401, "unauthenticated");
    expect((await c.get("/api/me")).status).toBe(200);
  });

  it("logout answers 204, clears the cookie and kills the session on the server", async () => {
    const c = new Client(t.app);
    await c.login(ADMIN);
    const stolen = c.cookie;
    const out = await c.post("/api/auth/logout");
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    const replay = new Client(t.app);
    replay.cookie = stolen;
    expectError(await replay.get("/api/me"), 401, "unauthenticated");
    expectError(await replay.get(CONNECTIONS), 401, "unauthenticated");
    // Logging out without a session is harmless.
    expect((await new Client(t.app).post("/api/auth/logout")).status).toBe(204);
  });

  it("an expired session is a 401", async () => {
    const c = new Client(t.app);
    await c.login(VIEWER);
    expect((await c.get(CONNECTIONS)).status).toBe(200);
    await query(
      t,
      sql`update sessions set expires_at = now() - interval '1 second' where user_id = (select id from users where email = ${VIEWER})`,
    );
    expectError(await c.get(CONNECTIONS), 401, "unauthenticated");
    expectError(await c.get("/api/me"), 401, "unauthenticated");
  });

  it("cross-site state-changing requests are 403 forbidden (Origin or Sec-Fetch-Site), even for login", async () => {
    const c = new Client(t.app);
    await c.login(ADMIN);
    const evil = { origin: "https://evil.example", "sec-fetch-site": "" };
    const crossSite = { origin: "", "sec-fetch-site": "cross-site" };
    const sameSite = { origin: "", "sec-fetch-site": "same-site" };
    const nullOrigin = { origin: "null", "sec-fetch-site": "" };
    for (const headers of [evil, crossSite, sameSite, nullOrigin]) {
      const res = await c.post(CONNECTIONS, connectionBody(), headers);
      expectError(res, 403, "forbidden");
      expectError(await c.post("/api/auth/login", { email: ADMIN, password: PASSWORD }, headers), 403, "forbidden");
      expectError(await c.post("/api/auth/logout", undefined, headers), 403, "forbidden");
    }
    expect((await c.get("/api/me")).status).toBe(200); // the logout above did not happen
    // SPEC §10: a cookie write with neither Origin nor Sec-Fetch-Site is refused too (scripts use API tokens).
    expectError(await c.post(CONNECTIONS, connectionBody(), { origin: "", "sec-fetch-site": "" }), 403, "forbidden");
    expectError(await c.post("/api/auth/logout", undefined, { origin: "", "sec-fetch-site": "" }), 403, "forbidden");
    // Either proof alone is enough.
    expect((await c.post(CONNECTIONS, connectionBody(), { origin: PUBLIC_URL, "sec-fetch-site": "" })).status).toBe(201);
    expect((await c.post(CONNECTIONS, connectionBody(), { origin: "", "sec-fetch-site": "same-origin" })).status).toBe(201);
    // Reads from anywhere are fine (the cookie is SameSite=Lax; the browser's CORS keeps the body).
    expect((await c.get(CONNECTIONS, { origin: "https://evil.example", "sec-fetch-site": "cross-site" })).status).toBe(200);
  });

  it("members read but cannot change: 403 on create, patch, activate, deactivate and delete", async () => {
    const admin = new Client(t.app);
    await admin.login(ADMIN);
    const created = await admin.post(CONNECTIONS, connectionBody());
    const id = created.body.id as string;
    const viewer = new Client(t.app);
    const login = await viewer.login(VIEWER);
    expect(login.body.memberships).toEqual([{ org: expect.objectContaining({ slug: "octo-org" }), role: "member" }]);
    expect((await viewer.get(CONNECTIONS)).status).toBe(200);
    expect((await viewer.get(`${CONNECTIONS}/${id}`)).status).toBe(200);
    expect((await viewer.get(`${CONNECTIONS}/${id}/events`)).status).toBe(200);
    expect((await viewer.get("/api/orgs/octo-org/repositories")).status).toBe(200);
    const sim = await viewer.post(`${CONNECTIONS}/${id}/simulate`, { claims: { sub: "repo:octo-org/api:ref:refs/heads/main" } });
    expect(sim.status).toBe(200);
    expect(sim.body.allowed).toBe(true);
    expectError(await viewer.post(CONNECTIONS, connectionBody()), 403, "forbidden");
    expectError(await viewer.patch(`${CONNECTIONS}/${id}`, { name: "Mine" }, { "if-match": '"1"' }), 403, "forbidden");
    expectError(await viewer.post(`${CONNECTIONS}/${id}/deactivate`), 403, "forbidden");
    expectError(await viewer.post(`${CONNECTIONS}/${id}/activate`), 403, "forbidden");
    expectError(await viewer.delete(`${CONNECTIONS}/${id}`), 403, "forbidden");
    const after = await admin.get(`${CONNECTIONS}/${id}`);
    expect(after.body).toMatchObject({ name: created.body.name, status: "active", version: 1 });
  });

  it("a removed membership is a 404 at once, with the same body as an organisation that does not exist", async () => {
    const viewer = new Client(t.app);
    await viewer.login(VIEWER);
    expect((await viewer.get(CONNECTIONS)).status).toBe(200);
    const nonexistent = await viewer.get("/api/orgs/no-such-org/oidc-connections");
    expectError(nonexistent, 404, "not_found");
    await query(
      t,
      sql`delete from memberships where user_id = (select id from users where email = ${VIEWER}) and org_id = (select id from organizations where slug = 'octo-org')`,
    );
    try {
      const gone = await viewer.get(CONNECTIONS);
      expectError(gone, 404, "not_found");
      expect(gone.body).toEqual(nonexistent.body);
      expectError(await viewer.get("/api/orgs/octo-org/repositories"), 404, "not_found");
      expect((await viewer.get("/api/me")).body.memberships).toEqual([]);
    } finally {
      await query(
        t,
        sql`insert into memberships (org_id, user_id, role) select o.id, u.id, 'member' from organizations o, users u where o.slug = 'octo-org' and u.email = ${VIEWER}`,
      );
    }
  });

  it("/healthz and /readyz answer 200, unknown /api paths 404 as JSON", async () => {
    const c = new Client(t.app);
    const health = await c.get("/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: "ok" });
    const ready = await c.get("/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: "ready" });
    expectError(await c.get("/api/nothing-here"), 404, "not_found");
    expect(health.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe.each(DB_KINDS)("admin API: rate limits and readiness (%s)", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind, { LOGIN_RATE_LIMIT: "3", API_RATE_LIMIT: "6", TRUST_PROXY: "1" });
  });
  afterAll(() => t.close().catch(() => {}));

  const from = (ip: string) => ({ "x-forwarded-for": ip });

  it("login attempts per client: the 4th in a minute is 429 rate_limited with Retry-After", async () => {
    const c = new Client(t.app);
    for (let i = 0; i < 3; i++)
      expect((await c.post("/api/auth/login", { email: ADMIN, password: "wrong-password" }, from("10.0.0.1"))).status).toBe(401);
    const limited = await c.post("/api/auth/login", { email: ADMIN, password: PASSWORD }, from("10.0.0.1"));
    expectError(limited, 429, "rate_limited");
    const retry = Number(limited.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
  });

  it("login attempts per email: the 4th from a new address is 429 too", async () => {
    const c = new Client(t.app);
    for (let i = 0; i < 3; i++)
      expect((await c.post("/api/auth/login", { email: VIEWER, password: "wrong-password" }, from(`10.0.1.${i}`))).status).toBe(401);
    const limited = await c.post("/api/auth/login", { email: VIEWER.toUpperCase(), password: PASSWORD }, from("10.0.1.9"));
    expectError(limited, 429, "rate_limited");
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  it("API requests per client: over API_RATE_LIMIT a minute is 429 with Retry-After", async () => {
    const c = new Client(t.app);
    for (let i = 0; i < 6; i++) expect((await c.get("/api/me", from("10.0.2.1"))).status).toBe(401);
    const limited = await c.get("/api/me", from("10.0.2.1"));
    expectError(limited, 429, "rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await c.get("/api/me", from("10.0.2.2"))).status).toBe(401); // another client is not affected
  });

  it("/readyz is 503 once the database is gone, and the API answers 503 with Retry-After, without internals", async () => {
    const c = new Client(t.app);
    await t.deps.database.close();
    const ready = await c.get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: "unavailable", reason: "database" });
    expect((await c.get("/healthz")).status).toBe(200);
    c.cookie = `oidc_session=${"A".repeat(43)}`; // makes the server look the session up
    const failed = await c.get(CONNECTIONS, from("10.0.3.1"));
    // SPEC §13: database trouble is a 503 the client may retry, not a 500.
    expectError(failed, 503, "service_unavailable");
    expect(failed.headers.get("retry-after")).toMatch(/^\d+$/);
    expectNoLeak(failed);
  });
});
