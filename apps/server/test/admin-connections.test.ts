import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONNECTIONS, counts, expectError, query, ruleset } from "./admin-support";
import { ACME_OWNER, ADMIN, Client, connectionBody, createTestApp, DB_KINDS, signedIn, type TestApp, VIEWER } from "./support/harness";

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe.each(DB_KINDS)("admin API: connections (%s)", (kind) => {
  let t: TestApp;
  let admin: Client;
  let viewer: Client;
  let acme: Client;
  beforeAll(async () => {
    t = await createTestApp(kind);
    [admin, viewer, acme] = await signedIn(t.app, ADMIN, VIEWER, ACME_OWNER);
  });
  afterAll(() => t.close());

  const create = async (overrides: Record<string, unknown> = {}) => {
    const res = await admin.post(CONNECTIONS, connectionBody(overrides));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as any;
  };

  it("POST creates: 201, Location, ETag, defaults, rulesets in order, createdBy, warnings per ruleset; GET returns the same", async () => {
    const res = await admin.post(
      CONNECTIONS,
      connectionBody({
        name: "  Deploy API  ",
        description: "pushes images",
        rulesets: [
          ruleset(0, { scopes: ["push", "pull"], conditions: [{ claim: "environment", pattern: "production" }] }),
          ruleset(1, { subject: "repo:*:ref:refs/heads/main", resources: ["octo-org/WEB"] }),
        ],
      }),
    );
    expect(res.status).toBe(201);
    const c = res.body;
    expect(res.headers.get("location")).toBe(`${CONNECTIONS}/${c.id}`);
    expect(res.headers.get("etag")).toBe('"1"');
    expect(c).toMatchObject({
      name: "Deploy API",
      description: "pushes images",
      type: "github-actions",
      issuer: "https://token.actions.githubusercontent.com",
      status: "active",
      maxTokenTtlSeconds: 3600,
      version: 1,
      org: "octo-org",
      rulesetCount: 2,
      lastUsedAt: null,
      createdBy: expect.objectContaining({ email: ADMIN }),
      updatedBy: expect.objectContaining({ email: ADMIN }),
    });
    expect(c.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(c.rulesets.map((r: any) => r.label)).toEqual(["rs-0", "rs-1"]);
    expect(c.rulesets[0]).toMatchObject({ id: expect.any(String), scopes: ["pull", "push"], lastUsedAt: null });
    expect(c.rulesets[0].conditions).toEqual([{ claim: "environment", pattern: "production" }]);
    expect(c.rulesets[1].conditions).toEqual([]);
    expect(c.rulesets[1].resources).toEqual(["octo-org/web"]); // the org's spelling
    expect(c.warnings).toHaveLength(2);
    expect(c.warnings[1].length).toBeGreaterThan(0); // repo:* — any GitHub account
    const got = await viewer.get(`${CONNECTIONS}/${c.id}`);
    expect(got.status).toBe(200);
    expect(got.headers.get("etag")).toBe('"1"');
    expect(got.body).toEqual(c);
  });

  it("404 not_found with one body for an unknown id, a malformed id, another org's connection and an org that does not exist", async () => {
    const theirs = await acme.post("/api/orgs/acme/oidc-connections", {
      ...connectionBody(),
      rulesets: [ruleset(0, { resources: ["acme/billing"] })],
    });
    expect(theirs.status).toBe(201);
    const mine = await create();
    const answers = [
      await admin.get(`${CONNECTIONS}/7d1f3a52-55d5-4c9e-9a43-3c1e0b7a0c11`),
      await admin.get(`${CONNECTIONS}/not-a-uuid`),
      await admin.get(`${CONNECTIONS}/${theirs.body.id}`),
      await admin.get(`/api/orgs/acme/oidc-connections/${theirs.body.id}`),
      await admin.get("/api/orgs/acme/oidc-connections"),
      await admin.get(`/api/orgs/no-such-org/oidc-connections/${mine.id}`),
      await admin.get("/api/orgs/no-such-org/oidc-connections"),
      await admin.get("/api/orgs/acme/repositories"),
      await admin.patch(`/api/orgs/acme/oidc-connections/${theirs.body.id}`, { name: "x" }, { "if-match": '"1"' }),
      await admin.delete(`/api/orgs/acme/oidc-connections/${theirs.body.id}`),
      await admin.post(`/api/orgs/acme/oidc-connections/${theirs.body.id}/deactivate`),
      await admin.get(`/api/orgs/acme/oidc-connections/${theirs.body.id}/events`),
      await admin.patch(`${CONNECTIONS}/${theirs.body.id}`, { name: "x" }, { "if-match": '"1"' }),
      await admin.delete(`${CONNECTIONS}/not-a-uuid`),
      await admin.get(`${CONNECTIONS}/${theirs.body.id}/events`),
      await admin.post(`${CONNECTIONS}/${theirs.body.id}/simulate`, { claims: {} }),
    ];
    for (const res of answers) expectError(res, 404, "not_found");
    const bodies = new Set(answers.map((r) => JSON.stringify(r.body)));
    expect([...bodies]).toHaveLength(1);
    // acme's connection is untouched
    const still = await acme.get(`/api/orgs/acme/oidc-connections/${theirs.body.id}`);
    expect(still.body).toMatchObject({ status: "active", version: 1 });
  });

  it("409 name_taken for a name used in the org, ignoring case and surrounding spaces, on create and rename; another org may use it", async () => {
    const first = await create({ name: "Release Pipeline" });
    const other = await create({ name: "Other pipeline" });
    const before = await counts(t);
    for (const name of ["Release Pipeline", "release pipeline", "  RELEASE PIPELINE "]) {
      const res = await admin.post(CONNECTIONS, connectionBody({ name }));
      expectError(res, 409, "name_taken");
      expect(res.body.error.issues).toEqual([expect.objectContaining({ path: ["name"] })]);
    }
    expect(await counts(t)).toEqual(before);
    const rename = await admin.patch(`${CONNECTIONS}/${other.id}`, { name: "RELEASE pipeline" }, { "if-match": '"1"' });
    expectError(rename, 409, "name_taken");
    expect(await counts(t)).toEqual(before);
    // Changing only the case of its own name is fine.
    const recase = await admin.patch(`${CONNECTIONS}/${first.id}`, { name: "release pipeline" }, { "if-match": '"1"' });
    expect(recase.status).toBe(200);
    expect(recase.body.name).toBe("release pipeline");
    const acmeSame = await acme.post("/api/orgs/acme/oidc-connections", {
      ...connectionBody({ name: "Release Pipeline" }),
      rulesets: [ruleset(0, { resources: ["acme/billing"] })],
    });
    expect(acmeSame.status).toBe(201);
  });

  it("PATCH needs If-Match: 428 without, 412 when stale; ETag and version +1 per change; no-op keeps the version", async () => {
    const c = await create();
    const url = `${CONNECTIONS}/${c.id}`;
    const before = await counts(t);
    expectError(await admin.patch(url, { description: "x" }), 428, "precondition_required");
    expectError(await admin.patch(url, { description: "x" }, { "if-match": '"2"' }), 412, "precondition_failed");
    expectError(await admin.patch(url, { description: "x" }, { "if-match": "garbage" }), 412, "precondition_failed");
    expect(await counts(t)).toEqual(before);
    const one = await admin.patch(url, { description: "first" }, { "if-match": '"1"' });
    expect(one.status).toBe(200);
    expect(one.headers.get("etag")).toBe('"2"');
    expect(one.body).toMatchObject({ version: 2, description: "first" });
    expectError(await admin.patch(url, { description: "lost update" }, { "if-match": '"1"' }), 412, "precondition_failed");
    // W/"2" and a bare 2 are accepted
    const two = await admin.patch(url, { maxTokenTtlSeconds: 900 }, { "if-match": 'W/"2"' });
    expect(two.body).toMatchObject({ version: 3, maxTokenTtlSeconds: 900 });
    const noop = await admin.patch(url, { maxTokenTtlSeconds: 900, description: "first" }, { "if-match": "3" });
    expect(noop.status).toBe(200);
    expect(noop.body.version).toBe(3);
    expect(noop.headers.get("etag")).toBe('"3"');
    const got = await admin.get(url);
    expect(got.headers.get("etag")).toBe('"3"');
    expect(new Date(got.body.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(c.updatedAt).getTime());
    const events = await admin.get(`${url}/events`);
    expect(events.body.items.map((e: any) => e.type)).toEqual(["connection.updated", "connection.updated", "connection.created"]);
  });

  it("the updated event carries a before/after diff, the actor and the new version", async () => {
    const c = await create({ name: "Diffed", description: "old" });
    const url = `${CONNECTIONS}/${c.id}`;
    const res = await admin.patch(
      url,
      {
        name: "Diffed 2",
        description: "new",
        rulesets: [{ ...ruleset(0, { subject: "repo:octo-org/api:environment:prod" }), id: c.rulesets[0].id }, ruleset(1)],
      },
      { "if-match": '"1"' },
    );
    expect(res.status).toBe(200);
    const events = await admin.get(`${url}/events`);
    const updated = events.body.items[0];
    expect(updated).toMatchObject({
      type: "connection.updated",
      connectionId: c.id,
      outcome: "success",
      actor: { type: "user", name: ADMIN, id: expect.any(String) },
    });
    expect(updated.details.version).toBe(2);
    expect(updated.details.changes.name).toEqual({ before: "Diffed", after: "Diffed 2" });
    expect(updated.details.changes.description).toEqual({ before: "old", after: "new" });
    expect(updated.details.changes.rulesets.added).toEqual(["rs-1"]);
    expect(updated.details.changes.rulesets.removed).toEqual([]);
    expect(updated.details.changes.rulesets.changed).toEqual([
      {
        id: c.rulesets[0].id,
        label: "rs-0",
        before: { label: "main", subject: "repo:octo-org/api:ref:refs/heads/main", scopes: ["pull", "push"] },
        after: { label: "rs-0", subject: "repo:octo-org/api:environment:prod", scopes: ["pull"] },
      },
    ]);
  });

  it("PATCH that keeps a ruleset id keeps its id, createdAt and lastUsedAt; dropped rulesets go; unknown ids are a 400", async () => {
    const c = await create({ rulesets: [ruleset(0), ruleset(1)] });
    const url = `${CONNECTIONS}/${c.id}`;
    const [r0, r1] = c.rulesets;
    await query(t, sql`update rulesets set last_used_at = '2026-11-01T10:00:00.123Z' where id = ${r1.id}`);
    const res = await admin.patch(
      url,
      { rulesets: [{ ...ruleset(1, { subject: "repo:octo-org/api:ref:refs/heads/changed" }), id: r1.id }, ruleset(2)] },
      { "if-match": '"1"' },
    );
    expect(res.status).toBe(200);
    expect(res.body.rulesets.map((r: any) => r.label)).toEqual(["rs-1", "rs-2"]);
    expect(res.body.rulesets[0]).toMatchObject({
      id: r1.id,
      subject: "repo:octo-org/api:ref:refs/heads/changed",
      lastUsedAt: "2026-11-01T10:00:00.123Z",
    });
    expect(res.body.rulesets[1].id).not.toBe(r0.id);
    expect(res.body.rulesets[1].lastUsedAt).toBeNull();
    const ids = await query<{ id: string }>(t, sql`select id from rulesets where connection_id = ${c.id}`);
    expect(ids.map((r) => r.id).sort()).toEqual([r1.id, res.body.rulesets[1].id].sort());

    const before = await counts(t);
    const unknown = await admin.patch(
      url,
      { rulesets: [{ ...ruleset(1), id: r0.id }] }, // r0 was dropped
      { "if-match": '"2"' },
    );
    expectError(unknown, 400, "validation_failed");
    expect(unknown.body.error.issues).toEqual([expect.objectContaining({ path: ["rulesets", 0, "id"] })]);
    const foreign = await create();
    const stolen = await admin.patch(url, { rulesets: [{ ...ruleset(1), id: foreign.rulesets[0].id }] }, { "if-match": '"2"' });
    expectError(stolen, 400, "validation_failed");
    expect((await counts(t)).rulesets).toBe(before.rulesets + 1);
    expect((await admin.get(url)).body.version).toBe(2);
  });

  it("activate/deactivate are idempotent: one event per real change, If-Match optional but checked", async () => {
    const c = await create();
    const url = `${CONNECTIONS}/${c.id}`;
    const off = await admin.post(`${url}/deactivate`);
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ status: "inactive", version: 2 });
    expect(off.headers.get("etag")).toBe('"2"');
    const again = await admin.post(`${url}/deactivate`);
    expect(again.body).toMatchObject({ status: "inactive", version: 2 });
    expectError(await admin.post(`${url}/activate`, undefined, { "if-match": '"1"' }), 412, "precondition_failed");
    const on = await admin.post(`${url}/activate`, undefined, { "if-match": '"2"' });
    expect(on.body).toMatchObject({ status: "active", version: 3 });
    expect((await admin.post(`${url}/activate`)).body.version).toBe(3);
    const events = await admin.get(`${url}/events`);
    expect(events.body.items.map((e: any) => e.type)).toEqual(["connection.activated", "connection.deactivated", "connection.created"]);
    const [row] = await query<{ t: unknown }>(t, sql`select tokens_valid_after as t from connections where id = ${c.id}`);
    expect(row?.t).not.toBeNull(); // deactivation revoked the tokens issued so far
  });

  it("DELETE: 204, rulesets gone, events stay and are still listable, then 404", async () => {
    const c = await create({ rulesets: [ruleset(0), ruleset(1)] });
    const url = `${CONNECTIONS}/${c.id}`;
    await admin.post(`${url}/deactivate`);
    expectError(await admin.delete(url, { "if-match": '"1"' }), 412, "precondition_failed");
    const del = await admin.delete(url);
    expect(del.status).toBe(204);
    expect(del.body).toBeNull();
    const left = await query<{ n: number }>(t, sql`select count(*)::int as n from rulesets where connection_id = ${c.id}`);
    expect(Number(left[0]?.n)).toBe(0);
    expectError(await admin.get(url), 404, "not_found");
    expectError(await admin.delete(url), 404, "not_found");
    expectError(await admin.post(`${url}/activate`), 404, "not_found");
    const events = await viewer.get(`${url}/events`);
    expect(events.status).toBe(200);
    expect(events.body.items.map((e: any) => e.type)).toEqual(["connection.deleted", "connection.deactivated", "connection.created"]);
    expect(events.body.items[0].details).toMatchObject({ name: c.name });
    // Not listable from another org
    expectError(await acme.get(`/api/orgs/acme/oidc-connections/${c.id}/events`), 404, "not_found");
    const list = await admin.get(`${CONNECTIONS}?limit=100`);
    expect(list.body.items.map((i: any) => i.id)).not.toContain(c.id);
  });

  it("events: newest first, keyset cursors, no duplicates or gaps; a bad cursor is a 400", async () => {
    const c = await create();
    const url = `${CONNECTIONS}/${c.id}`;
    for (let v = 1; v <= 11; v++) {
      const res = await admin.patch(url, { description: `rev ${v}` }, { "if-match": `"${v}"` });
      expect(res.status).toBe(200);
    }
    const seen: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await admin.get(`${url}/events?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(5);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(12);
    expect(new Set(seen.map((e) => e.id)).size).toBe(12);
    const ids = seen.map((e) => BigInt(e.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! < ids[i - 1]!).toBe(true);
    expect(seen[0].details.changes.description).toEqual({ before: "rev 10", after: "rev 11" });
    expect(seen.at(-1).type).toBe("connection.created");
    expect(seen[0]).toMatchObject({ createdAt: expect.stringMatching(/Z$/), ip: null, reason: null });
    expectError(await admin.get(`${url}/events?cursor=abc`), 400, "validation_failed");
    expectError(await admin.get(`${url}/events?limit=0`), 400, "validation_failed");
    expectError(await admin.get(`${url}/events?limit=101`), 400, "validation_failed");
  });

  it("simulate: claims or a token (decoded, not verified) against the saved rulesets; a malformed token is a 400", async () => {
    const c = await create({
      rulesets: [
        ruleset(0, { subject: "repo:octo-org/api:*", resources: ["octo-org/api"], scopes: ["pull"] }),
        ruleset(1, {
          subject: "repo:octo-org/*",
          conditions: [{ claim: "environment", pattern: "prod*" }],
          resources: ["octo-org/api", "octo-org/web"],
          scopes: ["push"],
        }),
      ],
    });
    const url = `${CONNECTIONS}/${c.id}/simulate`;
    const both = await admin.post(url, { claims: { sub: "repo:octo-org/api:environment:production", environment: "production" } });
    expect(both.status).toBe(200);
    expect(both.body).toMatchObject({
      allowed: true,
      matched: ["rs-0", "rs-1"],
      access: [
        { resource: "octo-org/api", scopes: ["pull", "push"] },
        { resource: "octo-org/web", scopes: ["push"] },
      ],
    });
    const none = await admin.post(url, { claims: { sub: "repo:other/api:ref:refs/heads/main" } });
    expect(none.body).toMatchObject({ allowed: false, matched: [], access: [] });
    const unsigned = `${b64url({ alg: "none" })}.${b64url({ sub: "repo:octo-org/api:ref:refs/heads/main", iss: "x" })}.`;
    const viaToken = await viewer.post(url, { token: unsigned });
    expect(viaToken.status).toBe(200);
    expect(viaToken.body).toMatchObject({ allowed: true, matched: ["rs-0"], claims: { sub: "repo:octo-org/api:ref:refs/heads/main" } });
    for (const token of ["not-a-jwt", "a.b.c", `${b64url({ alg: "RS256" })}.${Buffer.from("[1,2]").toString("base64url")}.x`]) {
      const bad = await admin.post(url, { token });
      expectError(bad, 400, "validation_failed");
      expect(bad.body.error.issues).toEqual([expect.objectContaining({ path: ["token"] })]);
    }
    expectError(await admin.post(url, {}), 400, "validation_failed");
    expectError(await admin.post(url, { claims: {}, token: unsigned }), 400, "validation_failed");
    expectError(await admin.post(url, { claims: {}, extra: 1 }), 400, "validation_failed");
    // simulating writes nothing
    expect((await admin.get(`${CONNECTIONS}/${c.id}/events`)).body.items).toHaveLength(1);
  });

  it("simulate bounds the claims' depth and size: deeply nested or huge claims are a 400, never a 500", async () => {
    const c = await create();
    const url = `${CONNECTIONS}/${c.id}/simulate`;
    const deep = `{"claims":{"sub":"repo:octo-org/api:ref:refs/heads/main","x":${"[".repeat(200_000)}${"]".repeat(200_000)}}}`;
    const nested = await admin.request("POST", url, { body: deep, headers: { "content-type": "application/json" } });
    expectError(nested, 400, "validation_failed");
    expect(nested.body.error.issues).toEqual([{ path: ["claims"], message: expect.stringMatching(/nested more than 10 levels/) }]);
    const huge = await admin.post(url, { claims: { sub: "repo:octo-org/api:ref:refs/heads/main", padding: "x".repeat(20_000) } });
    expectError(huge, 400, "validation_failed");
    expect(huge.body.error.issues).toEqual([{ path: ["claims"], message: expect.stringMatching(/at most 16 KiB/) }]);
    let value: unknown = "leaf";
    for (let i = 0; i < 12; i++) value = { next: value };
    const token = `${b64url({ alg: "none" })}.${b64url({ sub: "repo:octo-org/api:ref:refs/heads/main", value })}.`;
    const viaToken = await admin.post(url, { token });
    expectError(viaToken, 400, "validation_failed");
    expect(viaToken.body.error.issues).toEqual([{ path: ["token"], message: expect.stringMatching(/nested more than 10 levels/) }]);
    // GitHub's claims (flat, a few KiB) and a little nesting are fine.
    let ten: unknown = "leaf";
    for (let i = 0; i < 9; i++) ten = [ten];
    const ok = await admin.post(url, { claims: { sub: "repo:octo-org/api:ref:refs/heads/main", ten } });
    expect(ok.status).toBe(200);
    expect(ok.body.claims.ten).toEqual(ten);
  });

  it("repositories: the org's own, sorted, with full names", async () => {
    const res = await viewer.get("/api/orgs/octo-org/repositories");
    expect(res.status).toBe(200);
    expect(res.body.items.map((r: any) => r.fullName)).toEqual([
      "octo-org/api",
      "octo-org/base-images",
      "octo-org/docs",
      "octo-org/web",
      "octo-org/worker",
    ]);
    expect(res.body.items[0]).toEqual({ id: expect.any(String), name: "api", fullName: "octo-org/api" });
    const theirs = await acme.get("/api/orgs/acme/repositories");
    expect(theirs.body.items.map((r: any) => r.fullName)).toEqual(["acme/billing", "acme/storefront"]);
  });
});

describe.each(DB_KINDS)("admin API: listing (%s)", (kind) => {
  let t: TestApp;
  let admin: Client;
  const names: string[] = [];
  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = new Client(t.app);
    await admin.login(ADMIN);
    const special = ["100% coverage", "snake_case deploy", "plain deploy", "back\\slash"];
    for (let i = 0; i < 30; i++) {
      const name = special[i] ?? `Conn ${String(i).padStart(2, "0")}`;
      const res = await admin.post(CONNECTIONS, connectionBody({ name, description: i % 3 === 0 ? "nightly build" : "" }));
      expect(res.status).toBe(201);
      names.push(name);
      if (i % 4 === 0) await admin.post(`${CONNECTIONS}/${res.body.id}/deactivate`);
    }
  });
  afterAll(() => t.close());

  async function all(qs: string) {
    const items: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await admin.get(`${CONNECTIONS}?${qs}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    return { items, pages };
  }

  it("first page: default limit 25, newest first, summary fields only, nextCursor", async () => {
    const res = await admin.get(CONNECTIONS);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(25);
    expect(res.body.nextCursor).toEqual(expect.any(String));
    expect(Object.keys(res.body.items[0]).sort()).toEqual(
      ["createdAt", "description", "id", "lastUsedAt", "name", "policyViolations", "rulesetCount", "status", "type", "updatedAt"].sort(),
    );
    expect(res.body.items[0].name).toBe(names.at(-1));
    expect(res.body.items[0].rulesetCount).toBe(1);
  });

  it("walks every page without duplicates or gaps, in creation order reversed", async () => {
    const { items, pages } = await all("limit=7");
    expect(pages).toBe(5);
    expect(items.map((i) => i.name)).toEqual([...names].reverse());
  });

  it("status and q filter across pages; % _ and \\ in q are literal; q matches the description, ignoring case", async () => {
    const inactive = await all("status=inactive&limit=3");
    expect(inactive.items.map((i) => i.name).sort()).toEqual(names.filter((_, i) => i % 4 === 0).sort());
    expect(inactive.items.every((i) => i.status === "inactive")).toBe(true);
    const active = await all("status=active&limit=4");
    expect(active.items).toHaveLength(30 - inactive.items.length);
    expect((await all(`q=${encodeURIComponent("%")}`)).items.map((i) => i.name)).toEqual(["100% coverage"]);
    expect((await all(`q=${encodeURIComponent("_")}`)).items.map((i) => i.name)).toEqual(["snake_case deploy"]);
    expect((await all(`q=${encodeURIComponent("\\")}`)).items.map((i) => i.name)).toEqual(["back\\slash"]);
    expect((await all("q=DEPLOY")).items.map((i) => i.name).sort()).toEqual(["plain deploy", "snake_case deploy"]);
    const nightly = await all("q=Nightly&limit=2");
    expect(nightly.items.map((i) => i.name).sort()).toEqual(names.filter((_, i) => i % 3 === 0).sort());
    const both = await all("q=nightly&status=inactive&limit=2");
    expect(both.items.map((i) => i.name).sort()).toEqual(names.filter((_, i) => i % 3 === 0 && i % 4 === 0).sort());
    expect((await all("q=zzz")).items).toEqual([]);
  });

  it("bad query strings are a 400 validation_failed with the field's path", async () => {
    for (const [qs, path] of [
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["limit=abc", "limit"],
      ["status=deleted", "status"],
      ["cursor=not-a-cursor", "cursor"],
      [`cursor=${b64url(["2026-01-01T00:00:00Z", "x"])}`, "cursor"],
      ["sort=name", "sort"],
      [`q=${"a".repeat(101)}`, "q"],
    ] as const) {
      const res = await admin.get(`${CONNECTIONS}?${qs}`);
      expectError(res, 400, "validation_failed");
      expect(res.body.error.issues, qs).toEqual([expect.objectContaining({ path: [path] })]);
    }
  });
});
