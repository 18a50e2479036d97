import { ConnectionListQuerySchema } from "@oidc/shared";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { listConnections, requireConnection } from "../src/connections/service";
import { AdminReads } from "../src/db/admin-reads";
import { parseQuery } from "../src/http/validate";
import { CONNECTIONS, expectError, query, ruleset } from "./admin-support";
import { ACME_OWNER, ADMIN, Client, connectionBody, createTestApp, DB_KINDS, signedIn, type TestApp, VIEWER } from "./support/harness";

/**
 * The hot reads are folded into the caller's lookup (routes/connections.ts `foldedReadRoutes`):
 * one statement answers a member's or an API token's list page or connection. Everything else
 * falls through to the general path. These tests pin both halves: the folded answer is the general
 * path's answer (what its service functions, `listConnections` and `requireConnection`, answer for
 * the same org), it takes one statement, and every other case — no session, a dead one, not a
 * member, a token that is not live or not this org's, a bad query or id, an unknown connection —
 * keeps the general path's status and body.
 */
describe.each(DB_KINDS)("reads folded into the session or API token lookup (%s)", (kind) => {
  let t: TestApp;
  let admin: Client;
  let viewer: Client;
  let acme: Client;
  let bearer: Client;
  let ids: string[];
  let secret: string;
  let orgId: string;
  /** What the general path's service answers for octo-org: the list page of `suffix`, or one connection. */
  async function general(path: string) {
    const url = new URL(path, "http://x");
    const reads = new AdminReads(t.deps.database);
    const id = /oidc-connections\/([^/]+)$/.exec(url.pathname)?.[1];
    if (id)
      return JSON.parse(
        JSON.stringify(await requireConnection(reads, { id: orgId, slug: "octo-org", name: "Octo Org", role: "member" }, id.toLowerCase())),
      );
    const raw: Record<string, string[]> = {};
    for (const k of new Set(url.searchParams.keys())) raw[k] = url.searchParams.getAll(k);
    const options = parseQuery(ConnectionListQuerySchema, raw);
    if (!options.success) throw new Error(`not a valid query: ${path}`);
    return JSON.parse(JSON.stringify(await listConnections(reads, orgId, options.data)));
  }
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
    [admin, viewer, acme] = await signedIn(t.app, ADMIN, VIEWER, ACME_OWNER);
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
    secret = token.body.token;
    const [org] = await query<{ id: string }>(t, sql`select id from organizations where slug = 'octo-org'`);
    orgId = org!.id;
    bearer = new Client(t.app);
    const header = { authorization: `Bearer ${secret}` };
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

  it("a member's and an API token's list page: the general path's answer, in one statement", async () => {
    await bearer.get(CONNECTIONS); // the token's first use writes lastUsedAt (the general path); then it folds
    for (const suffix of pages) {
      const expected = await general(`${CONNECTIONS}${suffix}`);
      for (const client of [viewer, bearer]) {
        const { result: folded, count } = await statements(() => client.get(`${CONNECTIONS}${suffix}`));
        expect(folded.status, suffix).toBe(200);
        expect(folded.body, suffix).toEqual(expected);
        expect(count, `${suffix} ${client === bearer ? "token" : "session"}`).toBe(1);
      }
    }
    // The next page through the cursor.
    const first = await viewer.get(`${CONNECTIONS}?limit=2`);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const next = `${CONNECTIONS}?limit=2&cursor=${first.body.nextCursor}`;
    expect((await viewer.get(next)).body).toEqual(await general(next));
    expect((await bearer.get(next)).body).toEqual(await general(next));
  });

  it("a member's and an API token's connection: the general path's body and ETag, in one statement", async () => {
    await bearer.get(CONNECTIONS);
    for (const id of [ids[0]!, ids[2]!.toUpperCase()]) {
      const expected = await general(`${CONNECTIONS}/${id}`);
      for (const client of [viewer, bearer]) {
        const { result: folded, count } = await statements(() => client.get(`${CONNECTIONS}/${id}`));
        expect(folded.status).toBe(200);
        expect(folded.body).toEqual(expected);
        expect(folded.headers.get("etag")).toBe(`"${expected.version}"`);
        expect(count).toBe(1);
      }
    }
  });

  it("an API token: lastUsedAt still written when due (the general path), revoked, expired, another org's, malformed: as before", async () => {
    const tokens = new Client(t.app);
    await tokens.login(ADMIN);
    const created = await tokens.post("/api/orgs/octo-org/api-tokens", { name: "short-lived", role: "owner" });
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    // Its first use: lastUsedAt is due, so the general path answers (and writes it); then one statement.
    const { result: firstUse, count } = await statements(() => new Client(t.app).get(CONNECTIONS, as(created.body.token)));
    expect(firstUse.status).toBe(200);
    expect(count).toBeGreaterThan(1);
    const [used] = await query<{ last_used_at: unknown }>(t, sql`select last_used_at from api_tokens where id = ${created.body.id}`);
    expect(used!.last_used_at).not.toBeNull();
    expect((await statements(() => new Client(t.app).get(`${CONNECTIONS}/${ids[0]}`, as(created.body.token)))).count).toBe(1);
    // lastUsedAt older than the interval: written again on the next read.
    await query(t, sql`update api_tokens set last_used_at = now() - interval '2 minutes' where id = ${created.body.id}`);
    expect((await new Client(t.app).get(CONNECTIONS, as(created.body.token))).status).toBe(200);
    const [again] = await query<{ fresh: boolean }>(
      t,
      sql`select last_used_at > now() - interval '1 minute' as fresh from api_tokens where id = ${created.body.id}`,
    );
    expect(again!.fresh).toBe(true);
    // Expired: 401, folded or not.
    await query(t, sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${created.body.id}`);
    for (const path of [CONNECTIONS, `${CONNECTIONS}/${ids[0]}`])
      expectError(await new Client(t.app).get(path, as(created.body.token)), 401, "unauthenticated");
    // Revoked: 401 at once.
    await query(t, sql`update api_tokens set expires_at = null where id = ${created.body.id}`);
    expect((await new Client(t.app).get(CONNECTIONS, as(created.body.token))).status).toBe(200);
    expect((await tokens.delete(`/api/orgs/octo-org/api-tokens/${created.body.id}`)).status).toBe(204);
    for (const path of [CONNECTIONS, `${CONNECTIONS}/${ids[0]}`])
      expectError(await new Client(t.app).get(path, as(created.body.token)), 401, "unauthenticated");
    // Another org's reads with this org's token: 404, as for any org one cannot see.
    for (const path of ["/api/orgs/acme/oidc-connections", `/api/orgs/acme/oidc-connections/${ids[0]}`])
      expectError(await bearer.get(path), 404, "not_found");
    // Not shaped like a token, or a secret no token has: 401.
    for (const token of ["not-a-token", `${secret.slice(0, -4)}AAAA`])
      expectError(await new Client(t.app).get(CONNECTIONS, as(token)), 401, "unauthenticated");
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
