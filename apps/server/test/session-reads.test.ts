import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CONNECTIONS, expectError, query, ruleset } from "./admin-support";
import { ACME_OWNER, ADMIN, Client, connectionBody, createTestApp, DB_KINDS, type TestApp, VIEWER } from "./support/harness";

/**
 * The console's hot reads are folded into the session lookup (routes/connections.ts
 * `sessionReadRoutes`): one statement answers a member's list page or connection. Everything
 * else falls through to the general path. These tests pin both halves: the folded answer is the
 * general path's answer (the same request with an API token of the same org, which never folds),
 * it takes one statement, and every other case — no session, a dead one, not a member, a bad
 * query or id, an unknown connection — keeps the general path's status and body.
 */
describe.each(DB_KINDS)("reads folded into the session lookup (%s)", (kind) => {
  let t: TestApp;
  let admin: Client;
  let viewer: Client;
  let acme: Client;
  let bearer: Client;
  let ids: string[];
  /** Statements sent through the database handle's prepared path during `run`. */
  async function statements<T>(run: () => Promise<T>): Promise<{ result: T; count: number }> {
    const spy = vi.spyOn(t.deps.database, "query");
    try {
      const result = await run();
      return { result, count: spy.mock.calls.length };
    } finally {
      spy.mockRestore();
    }
  }

  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = new Client(t.app);
    viewer = new Client(t.app);
    acme = new Client(t.app);
    await Promise.all([admin.login(ADMIN), viewer.login(VIEWER), acme.login(ACME_OWNER)]);
    ids = [];
    for (let i = 0; i < 3; i++) {
      const res = await admin.post(
        CONNECTIONS,
        connectionBody({ name: `folded ${i}`, description: i === 1 ? "nightly 100%_sure" : "", rulesets: [ruleset(i), ruleset(i + 10)] }),
      );
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids.push(res.body.id);
    }
    // A policy that judges rulesets: the list's rows then bring their rulesets and violations.
    await query(
      t,
      sql`insert into org_policies (org_id, require_gate_for_writes) select id, true from organizations where slug = 'octo-org'`,
    );
    const token = await admin.post("/api/orgs/octo-org/api-tokens", { name: "folded-reads", role: "member" });
    expect(token.status, JSON.stringify(token.body)).toBe(201);
    bearer = new Client(t.app);
    const header = { authorization: `Bearer ${token.body.token}` };
    const plain = bearer.request.bind(bearer);
    bearer.request = (method, path, options = {}) => plain(method, path, { ...options, headers: { ...header, ...options.headers } });
  });
  afterAll(() => t.close());

  const pages = [
    "",
    "?limit=2",
    "?status=active",
    "?status=inactive",
    "?q=nightly%20100%25_",
    "?q=no-such-connection",
    "?limit=1&limit=3", // the last value wins, as on the general path
  ];

  it("a member's list page: the API token's (general path) answer, in one statement", async () => {
    for (const suffix of pages) {
      const general = await bearer.get(`${CONNECTIONS}${suffix}`);
      const { result: folded, count } = await statements(() => viewer.get(`${CONNECTIONS}${suffix}`));
      expect(folded.status, suffix).toBe(200);
      expect(folded.body, suffix).toEqual(general.body);
      expect(count, suffix).toBe(1);
    }
    // The next page through the cursor, on both paths.
    const first = await viewer.get(`${CONNECTIONS}?limit=2`);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const next = `${CONNECTIONS}?limit=2&cursor=${first.body.nextCursor}`;
    expect((await viewer.get(next)).body).toEqual((await bearer.get(next)).body);
  });

  it("a member's connection: the general path's body and ETag, in one statement", async () => {
    for (const id of [ids[0]!, ids[2]!.toUpperCase()]) {
      const general = await bearer.get(`${CONNECTIONS}/${id}`);
      const { result: folded, count } = await statements(() => viewer.get(`${CONNECTIONS}/${id}`));
      expect(folded.status).toBe(200);
      expect(folded.body).toEqual(general.body);
      expect(folded.headers.get("etag")).toBe(general.headers.get("etag"));
      expect(count).toBe(1);
    }
  });

  it("revocation at once: a signed-out session and a removed membership fold nothing", async () => {
    const leaving = new Client(t.app);
    await leaving.login(VIEWER);
    expect((await leaving.get(`${CONNECTIONS}/${ids[0]}`)).status).toBe(200);
    const [viewerRow] = await query<{ id: string }>(t, sql`select id from users where email = ${VIEWER}`);
    const [org] = await query<{ id: string }>(t, sql`select id from organizations where slug = 'octo-org'`);
    const [membership] = await query<{ role: string }>(
      t,
      sql`delete from memberships where user_id = ${viewerRow!.id} and org_id = ${org!.id} returning role`,
    );
    try {
      expectError(await leaving.get(CONNECTIONS), 404, "not_found");
      expectError(await leaving.get(`${CONNECTIONS}/${ids[0]}`), 404, "not_found");
    } finally {
      await query(t, sql`insert into memberships (org_id, user_id, role) values (${org!.id}, ${viewerRow!.id}, ${membership!.role})`);
    }
    expect((await leaving.get(CONNECTIONS)).status).toBe(200);
    expect((await leaving.post("/api/auth/logout")).status).toBeLessThan(300);
    expectError(await new Client(t.app).get(CONNECTIONS, { cookie: leaving.cookie || "oidc_session=x" }), 401, "unauthenticated");
  });

  it("an expired session, no session, a cookie of the wrong shape: 401 as before", async () => {
    const expiring = new Client(t.app);
    await expiring.login(VIEWER);
    const hash = (await import("../src/auth/sessions")).hashSessionId(expiring.cookie.split("=")[1]!);
    await query(t, sql`update sessions set expires_at = now() - interval '1 second' where id_hash = ${hash}`);
    for (const client of [expiring, new Client(t.app)]) {
      expectError(await client.get(CONNECTIONS), 401, "unauthenticated");
      expectError(await client.get(`${CONNECTIONS}/${ids[0]}`), 401, "unauthenticated");
    }
    expectError(await new Client(t.app).get(CONNECTIONS, { cookie: "oidc_session=short" }), 401, "unauthenticated");
  });

  it("another org's member, an unknown org, an unknown or malformed id: 404, the same body as the general path", async () => {
    const cases = [
      [acme, CONNECTIONS],
      [acme, `${CONNECTIONS}/${ids[0]}`],
      [admin, "/api/orgs/no-such-org/oidc-connections"],
      [admin, "/api/orgs/No-Such-Org/oidc-connections"],
      [admin, `/api/orgs/${"x".repeat(65)}/oidc-connections`],
      [admin, `${CONNECTIONS}/7d1f3a52-55d5-4c9e-9a43-3c1e0b7a0c11`],
      [admin, `${CONNECTIONS}/not-a-uuid`],
    ] as const;
    for (const [client, path] of cases) {
      const folded = await client.get(path);
      expectError(folded, 404, "not_found");
      expect(folded.body, path).toEqual((await bearer.get(`${CONNECTIONS}/7d1f3a52-55d5-4c9e-9a43-3c1e0b7a0c11`)).body);
    }
    // A connection of another org is not found in this one, whoever asks.
    const [acmeConnection] = await query<{ id: string }>(
      t,
      sql`select c.id from connections c join organizations o on o.id = c.org_id where o.slug = 'acme' limit 1`,
    );
    if (acmeConnection) expectError(await admin.get(`${CONNECTIONS}/${acmeConnection.id}`), 404, "not_found");
  });

  it("a query that is not valid: 400 for a member, and 401 before it for no session (the general path's order)", async () => {
    for (const suffix of ["?limit=0", "?limit=abc", "?status=paused", "?cursor=bm90LWEtY3Vyc29y", "?unknown=1"]) {
      const member = await viewer.get(`${CONNECTIONS}${suffix}`);
      const general = await bearer.get(`${CONNECTIONS}${suffix}`);
      expect(member.status, suffix).toBe(general.status);
      expect(member.body, suffix).toEqual(general.body);
      if (general.status === 400) expectError(await new Client(t.app).get(`${CONNECTIONS}${suffix}`), 401, "unauthenticated");
    }
  });
});
