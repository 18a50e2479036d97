import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONNECTIONS, counts, expectError, issuePaths, query, ruleset } from "./admin-support";
import { ADMIN, Client, connectionBody, createTestApp, DB_KINDS, type TestApp } from "./support/harness";

describe.each(DB_KINDS)("admin API: validation and integrity (%s)", (kind) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = new Client(t.app);
    await admin.login(ADMIN);
  });
  afterAll(() => t.close());

  const create = async (overrides: Record<string, unknown> = {}) => {
    const res = await admin.post(CONNECTIONS, connectionBody(overrides));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as any;
  };

  /** Runs `fn`, then checks it left no connection, ruleset or event behind. */
  async function leavesNothing(fn: () => Promise<void>) {
    const before = await counts(t);
    await fn();
    expect(await counts(t)).toEqual(before);
  }

  it("create: 1–5 rulesets; 0 is a 400 at ['rulesets'], 6 a 400 at exactly ['rulesets', 5]", async () => {
    await leavesNothing(async () => {
      const none = await admin.post(CONNECTIONS, connectionBody({ rulesets: [] }));
      expectError(none, 400, "validation_failed");
      expect(issuePaths(none)).toEqual([["rulesets"]]);
      const six = await admin.post(CONNECTIONS, connectionBody({ rulesets: [0, 1, 2, 3, 4, 5].map((i) => ruleset(i)) }));
      expectError(six, 400, "validation_failed");
      expect(issuePaths(six)).toEqual([["rulesets", 5]]);
    });
    const five = await create({ rulesets: [0, 1, 2, 3, 4].map((i) => ruleset(i)) });
    expect(five.rulesets).toHaveLength(5);
    const patch6 = await admin.patch(
      `${CONNECTIONS}/${five.id}`,
      { rulesets: [...five.rulesets.map(({ lastUsedAt: _, ...r }: any) => r), ruleset(5)] },
      { "if-match": '"1"' },
    );
    expectError(patch6, 400, "validation_failed");
    expect(issuePaths(patch6)).toEqual([["rulesets", 5]]);
    const patch0 = await admin.patch(`${CONNECTIONS}/${five.id}`, { rulesets: [] }, { "if-match": '"1"' });
    expect(issuePaths(patch0)).toEqual([["rulesets"]]);
  });

  it("two PATCHes racing to add a 5th ruleset with the same If-Match: one 200, one 412; never 6 rows, even by SQL", async () => {
    const c = await create({ rulesets: [0, 1, 2, 3].map((i) => ruleset(i)) });
    const url = `${CONNECTIONS}/${c.id}`;
    const kept = c.rulesets.map(({ lastUsedAt: _, ...r }: any) => r);
    const [a, b] = await Promise.all([
      admin.patch(url, { rulesets: [...kept, ruleset(10)] }, { "if-match": '"1"' }),
      admin.patch(url, { rulesets: [...kept, ruleset(11)] }, { "if-match": '"1"' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
    expectError(a.status === 412 ? a : b, 412, "precondition_failed");
    const rows = await query<{ n: number }>(t, sql`select count(*)::int as n from rulesets where connection_id = ${c.id}`);
    expect(Number(rows[0]?.n)).toBe(5);
    const got = await admin.get(url);
    expect(got.body.version).toBe(2);
    expect(got.body.rulesets).toHaveLength(5);
    // A 6th row cannot be written behind the API's back: positions are 0–4 and unique per connection.
    for (const position of [5, 0, 4]) {
      await expect(
        query(
          t,
          sql`insert into rulesets (connection_id, position, label, subject, resources, scopes) values (${c.id}, ${position}, ${`sql-${position}`}, 'repo:octo-org/api:x', array['octo-org/api'], array['pull'])`,
        ),
      ).rejects.toThrow();
    }
    const after = await query<{ n: number }>(t, sql`select count(*)::int as n from rulesets where connection_id = ${c.id}`);
    expect(Number(after[0]?.n)).toBe(5);
  });

  it("mass assignment: id, orgId, version, createdBy, status… in POST or PATCH are a 400 at the field's path", async () => {
    const c = await create();
    await leavesNothing(async () => {
      const fields = {
        id: "7d1f3a52-55d5-4c9e-9a43-3c1e0b7a0c11",
        orgId: "7d1f3a52-55d5-4c9e-9a43-3c1e0b7a0c11",
        org: "acme",
        version: 42,
        createdBy: "7d1f3a52-55d5-4c9e-9a43-3c1e0b7a0c11",
        updatedBy: "7d1f3a52-55d5-4c9e-9a43-3c1e0b7a0c11",
        createdAt: "2020-01-01T00:00:00Z",
        status: "inactive",
        lastUsedAt: "2020-01-01T00:00:00Z",
        tokensValidAfter: "2020-01-01T00:00:00Z",
      };
      for (const [field, value] of Object.entries(fields)) {
        const post = await admin.post(CONNECTIONS, { ...connectionBody(), [field]: value });
        expectError(post, 400, "validation_failed");
        expect(issuePaths(post), field).toEqual([[field]]);
        const patch = await admin.patch(`${CONNECTIONS}/${c.id}`, { description: "x", [field]: value }, { "if-match": '"1"' });
        expectError(patch, 400, "validation_failed");
        expect(issuePaths(patch), field).toEqual([[field]]);
      }
      // PATCH cannot change the type or the issuer either
      for (const [field, value] of [
        ["type", "github-actions"],
        ["issuer", "https://token.actions.githubusercontent.com"],
      ] as const) {
        const patch = await admin.patch(`${CONNECTIONS}/${c.id}`, { [field]: value }, { "if-match": '"1"' });
        expect(issuePaths(patch)).toContainEqual([field]);
      }
      // inside a ruleset too
      for (const [field, value] of [
        ["lastUsedAt", "2020-01-01T00:00:00Z"],
        ["connectionId", c.id],
        ["position", 3],
      ] as const) {
        const post = await admin.post(CONNECTIONS, connectionBody({ rulesets: [ruleset(0, { [field]: value })] }));
        expect(issuePaths(post), field).toEqual([["rulesets", 0, field]]);
      }
      const idOnCreate = await admin.post(CONNECTIONS, connectionBody({ rulesets: [ruleset(0, { id: c.rulesets[0].id })] }));
      expect(issuePaths(idOnCreate)).toEqual([["rulesets", 0, "id"]]);
    });
    expect((await admin.get(`${CONNECTIONS}/${c.id}`)).body).toMatchObject({ version: 1, status: "active" });
  });

  it("over-long and out-of-range fields are a 400 at their path", async () => {
    const conditions = Array.from({ length: 11 }, () => ({ claim: "environment", pattern: "prod" }));
    const resources = Array.from({ length: 101 }, (_, i) => `octo-org/repo-${i}`);
    const cases: [Record<string, unknown>, (string | number)[]][] = [
      [{ name: "n".repeat(101) }, ["name"]],
      [{ name: "   " }, ["name"]],
      [{ description: "d".repeat(501) }, ["description"]],
      [{ maxTokenTtlSeconds: 299 }, ["maxTokenTtlSeconds"]],
      [{ maxTokenTtlSeconds: 3601 }, ["maxTokenTtlSeconds"]],
      [{ maxTokenTtlSeconds: 600.5 }, ["maxTokenTtlSeconds"]],
      [{ type: "gitlab" }, ["type"]],
      [{ rulesets: [ruleset(0, { label: "l".repeat(65) })] }, ["rulesets", 0, "label"]],
      [{ rulesets: [ruleset(0, { subject: `repo:${"s".repeat(252)}` })] }, ["rulesets", 0, "subject"]],
      [{ rulesets: [ruleset(0, { subject: "octo-org/api" })] }, ["rulesets", 0, "subject"]],
      [{ rulesets: [ruleset(0, { subject: "repo:octo-org/api ref" })] }, ["rulesets", 0, "subject"]],
      [{ rulesets: [ruleset(0, { conditions })] }, ["rulesets", 0, "conditions"]],
      [{ rulesets: [ruleset(0, { conditions: [{ claim: "sub", pattern: "x" }] })] }, ["rulesets", 0, "conditions", 0, "claim"]],
      [{ rulesets: [ruleset(0, { resources })] }, ["rulesets", 0, "resources"]],
      [{ rulesets: [ruleset(0, { resources: [] })] }, ["rulesets", 0, "resources"]],
      [{ rulesets: [ruleset(0, { resources: ["octo-org/api", "octo-org/api"] })] }, ["rulesets", 0, "resources", 1]],
      [{ rulesets: [ruleset(0, { scopes: [] })] }, ["rulesets", 0, "scopes"]],
      [{ rulesets: [ruleset(0, { scopes: ["admin"] })] }, ["rulesets", 0, "scopes", 0]],
      [{ rulesets: [ruleset(0), ruleset(1, { label: "RS-0" })] }, ["rulesets", 1, "label"]],
    ];
    await leavesNothing(async () => {
      for (const [overrides, path] of cases) {
        const res = await admin.post(CONNECTIONS, connectionBody(overrides));
        expectError(res, 400, "validation_failed");
        expect(issuePaths(res), JSON.stringify(overrides).slice(0, 80)).toEqual([path]);
      }
    });
    // The limits themselves are fine.
    const max = await create({
      name: "n".repeat(100),
      description: "d".repeat(500),
      rulesets: [
        ruleset(0, {
          label: "l".repeat(64),
          subject: `repo:${"s".repeat(251)}`,
          conditions: conditions.slice(0, 10),
        }),
      ],
    });
    expect(max.rulesets[0].subject).toHaveLength(256);
  });

  it("malformed JSON, a wrong content type, a non-object body are a 400; a body over 1 MiB is a 413", async () => {
    await leavesNothing(async () => {
      const malformed = await admin.request("POST", CONNECTIONS, {
        body: '{"name": "x",',
        headers: { "content-type": "application/json" },
      });
      expectError(malformed, 400, "validation_failed");
      const text = await admin.request("POST", CONNECTIONS, {
        body: JSON.stringify(connectionBody()),
        headers: { "content-type": "text/plain" },
      });
      expectError(text, 400, "validation_failed");
      const none = await admin.request("POST", CONNECTIONS, { body: JSON.stringify(connectionBody()) });
      expectError(none, 400, "validation_failed");
      const form = await admin.request("POST", CONNECTIONS, {
        body: "name=x",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expectError(form, 400, "validation_failed");
      for (const body of ["[]", "null", '"x"', "42"]) {
        const res = await admin.request("POST", CONNECTIONS, { body, headers: { "content-type": "application/json" } });
        expectError(res, 400, "validation_failed");
      }
      const patchMalformed = await admin.request("PATCH", `${CONNECTIONS}/7d1f3a52-55d5-4c9e-9a43-3c1e0b7a0c11`, {
        body: "{",
        headers: { "content-type": "application/json", "if-match": '"1"' },
      });
      expectError(patchMalformed, 400, "validation_failed");
      const big = connectionBody({ description: "x".repeat(1024 * 1024) });
      const tooLarge = await admin.post(CONNECTIONS, big);
      expectError(tooLarge, 413, "payload_too_large");
      const tooLargeNoLength = await admin.request("POST", CONNECTIONS, {
        body: JSON.stringify(big),
        headers: { "content-type": "application/json", "content-length": "" },
      });
      expect(tooLargeNoLength.status).toBe(413);
      const login = await new Client(t.app).post("/api/auth/login", { email: ADMIN, password: "p".repeat(1024 * 1024 + 1) });
      expect(login.status).toBe(413);
    });
  });

  it("resources must be repositories of this org: unknown or another org's are a 400 at ['rulesets', i, 'resources', j]", async () => {
    await leavesNothing(async () => {
      const res = await admin.post(
        CONNECTIONS,
        connectionBody({
          rulesets: [
            ruleset(0, { resources: ["octo-org/api", "octo-org/nope"] }),
            ruleset(1, { resources: ["acme/billing", "octo-org/web", "other/thing"] }),
          ],
        }),
      );
      expectError(res, 400, "validation_failed");
      expect(issuePaths(res)).toEqual([
        ["rulesets", 0, "resources", 1],
        ["rulesets", 1, "resources", 0],
        ["rulesets", 1, "resources", 2],
      ]);
      const malformed = await admin.post(CONNECTIONS, connectionBody({ rulesets: [ruleset(0, { resources: ["api"] })] }));
      expect(issuePaths(malformed)).toEqual([["rulesets", 0, "resources", 0]]);
    });
  });

  it("the same repository twice in different case is a duplicate, not stored twice", async () => {
    await leavesNothing(async () => {
      const res = await admin.post(
        CONNECTIONS,
        connectionBody({ rulesets: [ruleset(0, { resources: ["octo-org/api", "octo-org/API"] })] }),
      );
      expectError(res, 400, "validation_failed");
      expect(issuePaths(res)).toEqual([["rulesets", 0, "resources", 1]]);
    });
  });

  it("an issuer the deployment does not trust is a 400 at ['issuer']", async () => {
    await leavesNothing(async () => {
      for (const issuer of ["https://gitlab.example.com", "https://token.actions.githubusercontent.com.evil.example", "not a url"]) {
        const res = await admin.post(CONNECTIONS, connectionBody({ issuer }));
        expectError(res, 400, "validation_failed");
        expect(issuePaths(res)).toEqual([["issuer"]]);
      }
    });
    const trailing = await create({ issuer: "https://token.actions.githubusercontent.com/" });
    expect(trailing.issuer).toBe("https://token.actions.githubusercontent.com");
  });

  it("a failed PATCH leaves nothing behind: resource check, name conflict (DB constraint), unknown ruleset id", async () => {
    const c = await create({ name: "Keep me", rulesets: [ruleset(0), ruleset(1)] });
    await create({ name: "Taken" });
    const url = `${CONNECTIONS}/${c.id}`;
    const snapshot = (await admin.get(url)).body;
    await leavesNothing(async () => {
      const badResource = await admin.patch(
        url,
        { description: "changed", rulesets: [ruleset(5, { resources: ["acme/billing"] })] },
        { "if-match": '"1"' },
      );
      expect(issuePaths(badResource)).toEqual([["rulesets", 0, "resources", 0]]);
      // The name conflict is only found by the unique index, after the rulesets were replaced.
      const conflict = await admin.patch(url, { name: "taken", rulesets: [ruleset(7), ruleset(8), ruleset(9)] }, { "if-match": '"1"' });
      expectError(conflict, 409, "name_taken");
      const unknownId = await admin.patch(
        url,
        { description: "changed", rulesets: [{ ...ruleset(0), id: "7d1f3a52-55d5-4c9e-9a43-3c1e0b7a0c11" }] },
        { "if-match": '"1"' },
      );
      expectError(unknownId, 400, "validation_failed");
      const empty = await admin.patch(url, {}, { "if-match": '"1"' });
      expectError(empty, 400, "validation_failed");
    });
    expect((await admin.get(url)).body).toEqual(snapshot);
  });

  it("a failed create leaves nothing behind, also when the DB refuses it (name taken)", async () => {
    await create({ name: "Unique one" });
    await leavesNothing(async () => {
      const [a, b] = await Promise.all([
        admin.post(CONNECTIONS, connectionBody({ name: "Racing name", rulesets: [ruleset(0), ruleset(1)] })),
        admin.post(CONNECTIONS, connectionBody({ name: "racing NAME", rulesets: [ruleset(0), ruleset(1), ruleset(2)] })),
      ]);
      expect([a.status, b.status].sort()).toEqual([201, 409]);
      const winner = a.status === 201 ? a : b;
      await admin.delete(`${CONNECTIONS}/${winner.body.id}`);
      // delete wrote an event and removed the rows; put the counts back in line for the check
      await query(t, sql`delete from events where connection_id = ${winner.body.id}`);
    });
  });

  it("hostile text: a NUL in a description, zero-width and bidi characters anywhere are a 400 that names the character", async () => {
    await leavesNothing(async () => {
      const nul = await admin.post(CONNECTIONS, connectionBody({ description: "before\u0000after" }));
      expectError(nul, 400, "validation_failed");
      expect(nul.body.error.issues).toEqual([
        { path: ["description"], message: expect.stringMatching(/^Remove U\+0000 NULL at character 7/) },
      ]);
      const zwsp = await admin.post(
        CONNECTIONS,
        connectionBody({ rulesets: [ruleset(0, { subject: "repo:octo-org/api\u200b:ref:refs/heads/main" })] }),
      );
      expectError(zwsp, 400, "validation_failed");
      expect(zwsp.body.error.issues).toEqual([
        { path: ["rulesets", 0, "subject"], message: expect.stringContaining("U+200B ZERO WIDTH SPACE") },
      ]);
      const bidi = await admin.post(CONNECTIONS, connectionBody({ name: "Deploy \u202egnp.exe" }));
      expect(bidi.body.error.issues).toEqual([{ path: ["name"], message: expect.stringContaining("U+202E RIGHT-TO-LEFT OVERRIDE") }]);
    });
    const c = await create();
    const patch = await admin.patch(`${CONNECTIONS}/${c.id}`, { description: "\u0000" }, { "if-match": '"1"' });
    expectError(patch, 400, "validation_failed");
    expect(issuePaths(patch)).toEqual([["description"]]);
    const search = await admin.get(`${CONNECTIONS}?q=a%00b`);
    expectError(search, 400, "validation_failed");
    expect(search.body.error.issues).toEqual([{ path: ["q"], message: expect.stringContaining("U+0000 NULL") }]);
    const multiline = await admin.patch(`${CONNECTIONS}/${c.id}`, { description: "one\r\ntwo" }, { "if-match": '"1"' });
    expect(multiline.status).toBe(200);
    expect(multiline.body.description).toBe("one\ntwo");
  });

  it("names that look the same are the same name: compared after Unicode NFC (stored NFC), case-insensitively", async () => {
    const composed = await create({ name: "Caf\u00e9 deploy" });
    expect(composed.name).toBe("Caf\u00e9 deploy");
    await leavesNothing(async () => {
      const decomposed = await admin.post(CONNECTIONS, connectionBody({ name: "CAFE\u0301 DEPLOY" }));
      expectError(decomposed, 409, "name_taken");
    });
    const other = await create({ name: "Tea\u0301" });
    expect(other.name).toBe("Te\u00e1");
    const rows = await query<{ name: string }>(t, sql`select name from connections where id = ${other.id}`);
    expect(rows[0]?.name).toBe("Te\u00e1");
    // The search compares in NFC too.
    const found = await admin.get(`${CONNECTIONS}?q=${encodeURIComponent("cafe\u0301 dep")}`);
    expect(found.body.items.map((c: any) => c.id)).toEqual([composed.id]);
    const rename = await admin.patch(`${CONNECTIONS}/${other.id}`, { name: "cafe\u0301 Deploy" }, { "if-match": '"1"' });
    expectError(rename, 409, "name_taken");
  });
});
