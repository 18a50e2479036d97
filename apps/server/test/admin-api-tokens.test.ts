import { ApiTokenCreatedSchema, ApiTokenListSchema, ConnectionListSchema, ConnectionSchema, EventListSchema } from "@oidc/shared";
import { sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { CONNECTIONS, expectError, query } from "./admin-support";
import { ACME_OWNER, ADMIN, Client, connectionBody, createTestApp, DB_KINDS, type TestApp, VIEWER } from "./support/harness";

const TOKENS = "/api/orgs/octo-org/api-tokens";

/** A script's client: no cookie, no Origin, no Sec-Fetch-Site; only the token. */
class TokenClient extends Client {
  constructor(
    app: TestApp["app"],
    private readonly token: string,
  ) {
    super(app);
  }
  override request<T = any>(
    method: string,
    path: string,
    options: { json?: unknown; body?: string; headers?: Record<string, string> } = {},
  ) {
    return super.request<T>(method, path, {
      ...options,
      headers: { origin: "", "sec-fetch-site": "", authorization: `Bearer ${this.token}`, ...options.headers },
    });
  }
}

describe.each(DB_KINDS)("admin API tokens (SPEC §10) (%s)", (kind) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = new Client(t.app);
    await admin.login(ADMIN);
  });
  afterAll(() => t.close());

  async function createToken(role: "owner" | "member", extra: Record<string, unknown> = {}) {
    const res = await admin.post(TOKENS, { name: `ci ${role} ${Math.random().toString(36).slice(2, 8)}`, role, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return ApiTokenCreatedSchema.parse(res.body);
  }

  it("an owner creates a token: 201, shown once, stored only as a SHA-256 hash, never listed", async () => {
    const res = await admin.post(TOKENS, { name: "  deploy bot  ", role: "owner", expiresInDays: 30 });
    expect(res.status).toBe(201);
    const created = ApiTokenCreatedSchema.parse(res.body);
    expect(created.token).toMatch(/^oidcc_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ name: "deploy bot", role: "owner", lastUsedAt: null, prefix: created.token.slice(0, 10) });
    expect(created.createdBy?.email).toBe(ADMIN);
    const days = (Date.parse(created.expiresAt ?? "") - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    expect(res.headers.get("location")).toBe(`${TOKENS}/${created.id}`);
    expect(res.headers.get("cache-control")).toBe("no-store");

    const list = await admin.get(TOKENS);
    expect(list.status).toBe(200);
    const parsed = ApiTokenListSchema.parse(list.body);
    expect(parsed.items.find((i) => i.id === created.id)).toEqual(
      expect.objectContaining({ id: created.id, name: "deploy bot", role: "owner", expiresAt: created.expiresAt }),
    );
    expect(JSON.stringify(list.body)).not.toContain(created.token.slice(10));
    expect(list.body.items[0]).not.toHaveProperty("token");

    const rows = await query<Record<string, unknown>>(t, sql`select * from api_tokens where id = ${created.id}`);
    expect(JSON.stringify(rows)).not.toContain(created.token.slice(10));
    const { createHash } = await import("node:crypto");
    expect(rows[0]?.secret_hash).toBe(createHash("sha256").update(created.token).digest("base64url"));

    // Two tokens never share a secret.
    const other = await createToken("owner");
    expect(other.token).not.toBe(created.token);
  });

  it("create validates the body: name, role, expiresInDays 1–365, no unknown fields", async () => {
    for (const body of [
      { name: "", role: "owner" },
      { name: "x", role: "admin" },
      { name: "x", role: "owner", expiresInDays: 0 },
      { name: "x", role: "owner", expiresInDays: 366 },
      { name: "x", role: "owner", expiresInDays: 1.5 },
      { name: "x", role: "owner", token: "oidcc_mine" },
      { name: "a\u0007b", role: "owner" },
    ]) {
      expectError(await admin.post(TOKENS, body), 400, "validation_failed");
    }
  });

  it("members see the list but cannot create or revoke; nothing of another org is visible", async () => {
    const created = await createToken("member");
    const viewer = new Client(t.app);
    await viewer.login(VIEWER);
    expect((await viewer.get(TOKENS)).status).toBe(200);
    expectError(await viewer.post(TOKENS, { name: "mine", role: "member" }), 403, "forbidden");
    expectError(await viewer.delete(`${TOKENS}/${created.id}`), 403, "forbidden");
    const acme = new Client(t.app);
    await acme.login(ACME_OWNER);
    expectError(await acme.get(TOKENS), 404, "not_found");
    expectError(await acme.delete(`${TOKENS}/${created.id}`), 404, "not_found");
    expectError(await acme.delete(`/api/orgs/acme/api-tokens/${created.id}`), 404, "not_found");
    expectError(await admin.delete(`${TOKENS}/not-a-uuid`), 404, "not_found");
  });

  it("an owner token manages connections with no cookie and no Origin; it is named as the actor", async () => {
    const { token, id: tokenId, name } = await createToken("owner");
    const ci = new TokenClient(t.app, token);
    const created = await ci.post(CONNECTIONS, connectionBody());
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const connection = ConnectionSchema.parse(created.body);
    expect(connection.createdBy).toBeNull();
    const patched = await ci.patch(`${CONNECTIONS}/${connection.id}`, { description: "from CI" }, { "if-match": '"1"' });
    expect(patched.status).toBe(200);
    expect(ConnectionSchema.parse(patched.body).description).toBe("from CI");
    expectError(
      await ci.patch(`${CONNECTIONS}/${connection.id}`, { description: "stale" }, { "if-match": '"1"' }),
      412,
      "precondition_failed",
    );
    expect((await ci.post(`${CONNECTIONS}/${connection.id}/deactivate`)).status).toBe(200);
    const list = await ci.get(CONNECTIONS);
    expect(ConnectionListSchema.parse(list.body).items.some((i) => i.id === connection.id)).toBe(true);

    const events = EventListSchema.parse((await admin.get(`${CONNECTIONS}/${connection.id}/events`)).body);
    expect(events.items.map((e) => e.type)).toEqual(["connection.deactivated", "connection.updated", "connection.created"]);
    for (const e of events.items) expect(e.actor).toEqual({ type: "api_token", id: tokenId, name });
    expect((await ci.delete(`${CONNECTIONS}/${connection.id}`)).status).toBe(204);
  });

  it("a member token can only read", async () => {
    const { token } = await createToken("member");
    const ci = new TokenClient(t.app, token);
    expect((await ci.get(CONNECTIONS)).status).toBe(200);
    expect((await ci.get("/api/orgs/octo-org/repositories")).status).toBe(200);
    expect((await ci.get(TOKENS)).status).toBe(200);
    const denied = await ci.post(CONNECTIONS, connectionBody());
    expectError(denied, 403, "forbidden");
    expect(denied.body.error.message).toMatch(/member role/);
  });

  it("a token cannot create or revoke tokens, even an owner token", async () => {
    const owner = await createToken("owner");
    const ci = new TokenClient(t.app, owner.token);
    expectError(await ci.post(TOKENS, { name: "child", role: "owner" }), 403, "forbidden");
    expectError(await ci.delete(`${TOKENS}/${owner.id}`), 403, "forbidden");
  });

  it("a token works only under /api/orgs/<its org>/: another org is 404, /api/me and sessions are 401", async () => {
    const { token } = await createToken("owner");
    const ci = new TokenClient(t.app, token);
    expectError(await ci.get("/api/orgs/acme/oidc-connections"), 404, "not_found");
    expectError(await ci.post("/api/orgs/acme/oidc-connections", connectionBody()), 404, "not_found");
    expectError(await ci.get("/api/orgs/no-such-org/repositories"), 404, "not_found");
    expectError(await ci.get("/api/me"), 401, "unauthenticated");
    expectError(await ci.post("/api/auth/logout"), 401, "unauthenticated");
    expectError(await ci.post("/api/auth/login", { email: ADMIN, password: "x" }), 401, "unauthenticated");
    // The token decides, not a cookie sent alongside it: an acme owner's cookie gives no acme access.
    const acme = new Client(t.app);
    await acme.login(ACME_OWNER);
    const res = await acme.get("/api/orgs/acme/oidc-connections", { authorization: `Bearer ${token}` });
    expectError(res, 404, "not_found");
  });

  it("malformed, unknown, revoked and expired tokens are 401", async () => {
    const { token, id } = await createToken("owner");
    const ci = new TokenClient(t.app, token);
    expect((await ci.get(CONNECTIONS)).status).toBe(200);
    for (const bad of ["", "oidcc_short", `${token}x`, `oidcc_${"A".repeat(43)}`, token.replace(/.$/, (c) => (c === "A" ? "B" : "A"))]) {
      expectError(await new TokenClient(t.app, bad).get(CONNECTIONS), 401, "unauthenticated");
    }
    // Expired.
    await query(t, sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${id}`);
    expectError(await ci.get(CONNECTIONS), 401, "unauthenticated");
    await query(t, sql`update api_tokens set expires_at = null where id = ${id}`);
    expect((await ci.get(CONNECTIONS)).status).toBe(200);
    // Revoked.
    expect((await admin.delete(`${TOKENS}/${id}`)).status).toBe(204);
    expectError(await ci.get(CONNECTIONS), 401, "unauthenticated");
    expectError(await admin.delete(`${TOKENS}/${id}`), 404, "not_found");
    expect(ApiTokenListSchema.parse((await admin.get(TOKENS)).body).items.some((i) => i.id === id)).toBe(false);
  });

  it("api_token.created and .deleted are org-level events (connectionId null) by the signed-in owner", async () => {
    const { id, name } = await createToken("member");
    await admin.delete(`${TOKENS}/${id}`);
    const rows = await query<{ type: string; connection_id: string | null; actor_type: string; actor_name: string; details: any }>(
      t,
      sql`select type, connection_id, actor_type, actor_name, details from events where details->>'tokenId' = ${id} order by id`,
    );
    expect(rows.map((r) => r.type)).toEqual(["api_token.created", "api_token.deleted"]);
    for (const r of rows) {
      expect(r).toMatchObject({ connection_id: null, actor_type: "user", actor_name: ADMIN });
      expect(r.details).toMatchObject({ tokenId: id, name, role: "member" });
    }
  });

  it("lastUsedAt is set at first use and written at most once a minute", async () => {
    const { token, id } = await createToken("member");
    const lastUsed = async () =>
      (await query<{ last_used_at: Date | string | null }>(t, sql`select last_used_at from api_tokens where id = ${id}`))[0]?.last_used_at;
    expect(await lastUsed()).toBeNull();
    const ci = new TokenClient(t.app, token);
    await ci.get(CONNECTIONS);
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await Promise.all([ci.get(CONNECTIONS), ci.get(CONNECTIONS), ci.get(CONNECTIONS)]);
    expect(String(await lastUsed())).toBe(String(first));
    const listed = ApiTokenListSchema.parse((await admin.get(TOKENS)).body).items.find((i) => i.id === id);
    expect(listed?.lastUsedAt).toBe(new Date(first as string).toISOString());
    // Over a minute later it moves.
    await query(t, sql`update api_tokens set last_used_at = now() - interval '2 minutes' where id = ${id}`);
    await ci.get(CONNECTIONS);
    expect(Date.now() - new Date((await lastUsed()) as string).getTime()).toBeLessThan(30_000);
  });

  it("no secret is ever logged", async () => {
    const lines: string[] = [];
    const app = createApp({ ...t.deps, log: pino({ level: "trace" }, { write: (l: string) => lines.push(l) }) });
    const c = new Client(app);
    await c.login(ADMIN);
    const created = await c.post(TOKENS, { name: "logged?", role: "owner" });
    const token = created.body.token as string;
    const ci = new TokenClient(app, token);
    await ci.get(CONNECTIONS);
    await ci.post(CONNECTIONS, connectionBody());
    await new TokenClient(app, `${token}0`).get(CONNECTIONS);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n")).not.toContain(token.slice(6));
  });
});
