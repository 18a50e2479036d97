import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONNECTIONS, expectError, query } from "./admin-support";
import {
  ACME_OWNER,
  Client,
  createExchangeFixture,
  DB_KINDS,
  DEV_ISSUER_URL,
  type ExchangeFixture,
  exchangeParams,
  exchangeToken,
  mintIdToken,
  type TestApp,
} from "./support/harness";

const EVENTS = "/api/orgs/octo-org/events";

// SPEC §12: first use, usage, organisation activity and its export.
describe.each(DB_KINDS)("visibility (%s)", (kind) => {
  let f: ExchangeFixture;
  let t: TestApp;
  let admin: Client;
  let viewer: Client;
  beforeAll(async () => {
    f = await createExchangeFixture(kind);
    ({ t, admin, viewer } = f);
  });
  afterAll(() => t.close());

  const rulesets = [
    { label: "api", subject: "repo:octo-org/api:*", resources: ["octo-org/api"], scopes: ["pull"] },
    { label: "any", subject: "repo:octo-org/*", resources: ["octo-org/api"], scopes: ["pull"] },
  ];
  const create = () => f.createConnection({ rulesets, issuer: DEV_ISSUER_URL });
  const exchange = async (id: string, claims: Record<string, unknown>) => (await f.exchange(id, claims)).status;
  const eventsOf = async (id: string, type: string) =>
    query<{ details: any; actor_name: string }>(
      t,
      sql`select details, actor_name from events where connection_id = ${id}::uuid and type = ${type} order by id`,
    );

  it("the first exchange of a repository writes token.first_use once, by repository_id when present, else by name", async () => {
    const c = await create();
    const api = { sub: "repo:octo-org/api:ref:refs/heads/main", repository_id: "501" };
    expect(await exchange(c.id, api)).toBe(200);
    expect(await exchange(c.id, api)).toBe(200);
    // Renamed (same id): not new.
    expect(await exchange(c.id, { sub: "repo:octo-org/api2:ref:refs/heads/main", repository_id: "501" })).toBe(200);
    // No repository_id: by name, case-insensitively.
    expect(await exchange(c.id, { sub: "repo:octo-org/web:ref:refs/heads/main", repository_id: null })).toBe(200);
    expect(await exchange(c.id, { sub: "repo:octo-org/web:ref:refs/heads/dev", repository: "Octo-Org/Web", repository_id: null })).toBe(
      200,
    );
    // A refused exchange is no use.
    expect(await exchange(c.id, { sub: "repo:other/x:ref:refs/heads/main", repository_id: "777" })).toBe(400);

    const first = await eventsOf(c.id, "token.first_use");
    expect(first.map((e) => [e.details.repository, e.details.repositoryId])).toEqual([
      ["octo-org/api", "501"],
      ["octo-org/web", null],
    ]);
    expect(first[0]?.details.tokenId).toEqual(expect.any(String));
    expect((await eventsOf(c.id, "token.exchanged")).length).toBe(5);

    const usage = await viewer.get(`${CONNECTIONS}/${c.id}/usage?days=7`);
    expect(usage.status, JSON.stringify(usage.body)).toBe(200);
    expect(usage.body.newRepositories.map((r: { repository: string }) => r.repository).sort()).toEqual(["octo-org/api", "octo-org/web"]);
  });

  it("first use holds when the exchanges of one repository arrive together (one batch, one event)", async () => {
    const c = await create();
    const tokens = await Promise.all(
      Array.from({ length: 8 }, () => mintIdToken(t.app, { sub: "repo:octo-org/api:ref:refs/heads/main", repository_id: "9001" })),
    );
    const statuses = await Promise.all(tokens.map(async (tok) => (await exchangeToken(t.app, exchangeParams(c.id, tok))).status));
    expect(statuses).toEqual(Array(8).fill(200));
    expect((await eventsOf(c.id, "token.first_use")).length).toBe(1);
  });

  it("usage counts exchanges and denials per UTC day, per ruleset, and audit matches; days is 1–90", async () => {
    const c = await create();
    expect(await exchange(c.id, { sub: "repo:octo-org/api:ref:refs/heads/main" })).toBe(200);
    expect(await exchange(c.id, { sub: "repo:octo-org/web:ref:refs/heads/main" })).toBe(200);
    expect(await exchange(c.id, { sub: "repo:elsewhere/web:ref:refs/heads/main" })).toBe(400);
    // Older events: 3 days ago (in the window), 40 days ago (outside a 30-day window), an audit match.
    await query(
      t,
      sql`insert into events (org_id, connection_id, type, actor_type, actor_name, outcome, details, created_at)
        select org_id, connection_id, type, actor_type, actor_name, outcome, details, now() - interval '3 days' from events
          where connection_id = ${c.id}::uuid and type = 'token.exchanged'
        union all
        select org_id, id, 'token.denied', 'workflow', 'x', 'failure', '{}', now() - interval '40 days' from connections where id = ${c.id}::uuid
        union all
        select org_id, id, 'token.denied', 'workflow', 'x', 'failure', '{"audit":{"rulesets":["api"]}}', now() from connections where id = ${c.id}::uuid`,
    );
    const res = await viewer.get(`${CONNECTIONS}/${c.id}/usage?days=30`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const days = res.body.days as { date: string; exchanged: number; denied: number }[];
    expect(days).toHaveLength(30);
    const today = new Date().toISOString().slice(0, 10);
    const threeAgo = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    expect(days.at(-1)).toEqual({ date: today, exchanged: 2, denied: 2 });
    expect(days.find((d) => d.date === threeAgo)).toEqual({ date: threeAgo, exchanged: 2, denied: 0 });
    expect(days.reduce((n, d) => n + d.denied, 0)).toBe(2);
    expect(res.body.rulesets).toEqual([
      { id: expect.any(String), label: "api", exchanged: 2, lastUsedAt: expect.any(String), auditMatches: 1 },
      { id: expect.any(String), label: "any", exchanged: 4, lastUsedAt: expect.any(String), auditMatches: 0 },
    ]);

    expect((await viewer.get(`${CONNECTIONS}/${c.id}/usage`)).body.days).toHaveLength(30);
    expectError(await viewer.get(`${CONNECTIONS}/${c.id}/usage?days=0`), 400, "validation_failed");
    expectError(await viewer.get(`${CONNECTIONS}/${c.id}/usage?days=91`), 400, "validation_failed");
    expectError(await viewer.get(`${CONNECTIONS}/00000000-0000-4000-8000-000000000000/usage`), 404, "not_found");
    const acme = new Client(t.app);
    await acme.login(ACME_OWNER);
    expectError(await acme.get(`/api/orgs/acme/oidc-connections/${c.id}/usage`), 404, "not_found");
  });

  it("the usage query reads an index of the connection's events, not the whole table", async () => {
    const c = await create();
    const other = await create();
    await query(
      t,
      sql`insert into events (org_id, connection_id, type, actor_type, actor_name, outcome, details)
        select org_id, id, 'token.exchanged', 'workflow', 'x', 'success', '{}' from connections, generate_series(1, 3000) where id = ${other.id}::uuid`,
    );
    await query(t, sql`analyze events`);
    const plan = await query<Record<string, string>>(
      t,
      sql`explain select count(*) from events where connection_id = ${c.id}::uuid and created_at >= now() - interval '30 days' and type in ('token.exchanged', 'token.denied')`,
    );
    const text = plan.map((r) => Object.values(r)[0]).join("\n");
    expect(text).toMatch(/Index (Only )?Scan using events_(usage|connection)_idx|Bitmap Index Scan on events_(usage|connection)_idx/);
    expect(text).not.toMatch(/Seq Scan on events/);
  });

  it("organisation events: every connection (deleted ones too) and org events, filtered, keyset-paginated, members may read", async () => {
    const gone = await create();
    expect(await exchange(gone.id, { sub: "repo:octo-org/api:ref:refs/heads/main" })).toBe(200);
    expect((await admin.delete(`${CONNECTIONS}/${gone.id}`)).status).toBe(204);
    const token = await admin.post("/api/orgs/octo-org/api-tokens", { name: "ci", role: "member" });
    expect(token.status).toBe(201);

    const byConnection = await viewer.get(`${EVENTS}?connectionId=${gone.id}`);
    expect(byConnection.status, JSON.stringify(byConnection.body)).toBe(200);
    expect(byConnection.body.items.map((e: { type: string }) => e.type)).toEqual([
      "connection.deleted",
      "token.first_use",
      "token.exchanged",
      "connection.created",
    ]);

    const org = await viewer.get(`${EVENTS}?type=api_token.created`);
    expect(org.body.items[0]).toMatchObject({ type: "api_token.created", connectionId: null });

    const failures = await viewer.get(`${EVENTS}?outcome=failure`);
    expect(failures.body.items.every((e: { outcome: string }) => e.outcome === "failure")).toBe(true);

    const two = await viewer.get(`${EVENTS}?type=connection.created,connection.deleted&limit=2`);
    expect(two.body.items).toHaveLength(2);
    expect(two.body.nextCursor).toEqual(expect.any(String));
    const next = await viewer.get(`${EVENTS}?type=connection.created,connection.deleted&limit=2&cursor=${two.body.nextCursor}`);
    expect(Number(next.body.items[0].id)).toBeLessThan(Number(two.body.items[1].id));

    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await viewer.get(`${EVENTS}?since=${encodeURIComponent(future)}`)).body.items).toEqual([]);
    expect((await viewer.get(`${EVENTS}?until=${encodeURIComponent(future)}&limit=1`)).body.items).toHaveLength(1);

    // Nothing of another org.
    const acme = new Client(t.app);
    await acme.login(ACME_OWNER);
    expect((await acme.get(`/api/orgs/acme/events?connectionId=${gone.id}`)).body.items).toEqual([]);
    expectError(await acme.get(EVENTS), 404, "not_found");

    for (const bad of ["type=nope", "outcome=maybe", "connectionId=x", "since=yesterday", "cursor=abc", "format=xml", "limit=0", "extra=1"])
      expectError(await viewer.get(`${EVENTS}?${bad}`), 400, "validation_failed");
    expectError(await viewer.get(`${EVENTS}?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z`), 400, "validation_failed");
  });

  it("export streams the filtered set as CSV (formula cells guarded) or NDJSON, as an attachment", async () => {
    const c = await create();
    // Hostile text in a caller-chosen field: a workflow named like a formula, with a quote and a comma.
    expect(
      await exchange(c.id, {
        sub: "repo:octo-org/api:ref:refs/heads/main",
        workflow: '=HYPERLINK("x","y")',
        job_workflow_ref: null,
        workflow_ref: null,
        repository: "=cmd|' /C calc'!A0",
      }),
    ).toBe(200);
    // More events than one batch of the stream.
    await query(
      t,
      sql`insert into events (org_id, connection_id, type, actor_type, actor_name, outcome, details)
        select org_id, id, 'token.denied', 'workflow', '@evil', 'failure', '{}' from connections, generate_series(1, 2500) where id = ${c.id}::uuid`,
    );
    const csv = await viewer.get(`${EVENTS}?connectionId=${c.id}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.headers.get("content-disposition")).toMatch(/^attachment; filename="octo-org-events-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = (csv.body as string).trimEnd().split("\r\n");
    expect(lines[0]).toBe("id,createdAt,type,outcome,reason,connectionId,actorType,actorId,actorName,ip,details");
    // Header + 2500 denials + first use + exchange + created.
    expect(lines).toHaveLength(1 + 2500 + 3);
    expect(lines.filter((l) => l.includes(",'@evil,"))).toHaveLength(2500);
    expect(csv.body).not.toMatch(/(^|,)[=+\-@]/m);
    expect(lines.find((l) => l.includes("token.exchanged"))).toMatch(/,"'=cmd\|' \/C calc'!A0",|,'=cmd/);

    const nd = await viewer.get(`${EVENTS}?connectionId=${c.id}&type=token.denied&format=ndjson`);
    expect(nd.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const rows = (nd.body as string)
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2500);
    expect(new Set(rows.map((r) => r.id)).size).toBe(2500);
    expect(rows[0]).toMatchObject({ type: "token.denied", actor: { name: "@evil" } });
  });
});
