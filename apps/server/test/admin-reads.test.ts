import { eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACCESS_COLUMNS,
  AdminReads,
  CONNECTION_COLUMNS,
  PAGE_COLUMNS,
  readConnectionIn,
  readRevocation,
  type SessionKey,
  STATEMENTS,
  TOKEN_ACCESS_COLUMNS,
} from "../src/db/admin-reads";
import { apiTokens, connections, memberships, organizations, orgPolicies, rulesets, sessions, users } from "../src/db/schema";
import { seedDemo } from "../src/seed";
import { createTestDatabase, DB_KINDS, type TestDatabase, testEnv } from "./support/harness";

/**
 * The admin reads are hand-written statements (db/admin-reads.ts). tsc checks the tables and
 * columns they name against db/schema.ts; this test checks the rest against a migrated database on
 * each driver: every statement runs (a column renamed in a migration but not in schema.ts, or the
 * reverse, fails here), it answers exactly the columns its row type declares, and its values are
 * what drizzle's own reads of the same rows give.
 */
describe.each(DB_KINDS)("admin reads match the schema and the migrations (%s)", (kind) => {
  let db: TestDatabase;
  let reads: AdminReads;
  let orgId: string;
  let connectionId: string;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    reads = new AdminReads(db.handle);
    const d = db.handle.db;
    await seedDemo(d, testEnv(), pino({ level: "silent" }));
    const [org] = await d.select().from(organizations).where(eq(organizations.slug, "octo-org"));
    const [admin] = await d.select().from(users).limit(1);
    orgId = org!.id;
    const [row] = await d
      .insert(connections)
      .values({ orgId, name: "drift", issuer: "https://token.actions.githubusercontent.com", createdBy: admin!.id, lastUsedAt: new Date() })
      .returning();
    connectionId = row!.id;
    await d.insert(rulesets).values([
      {
        connectionId,
        position: 1,
        label: "second",
        subject: "repo:octo-org/api:ref:refs/heads/*",
        resources: ["octo-org/api"],
        scopes: ["push", "pull"],
        expiresAt: new Date(Date.now() + 3_600_000),
      },
      {
        connectionId,
        position: 0,
        label: "first",
        subject: "repo:octo-org/api:ref:refs/heads/main",
        conditions: [{ claim: "event_name", pattern: "push" }],
        resources: ["octo-org/api"],
        scopes: ["pull"],
        mode: "audit",
      },
    ]);
    // A saved policy that judges rulesets: the list then brings each row's rulesets too.
    await d.insert(orgPolicies).values({ orgId, requireGateForWrites: true });
  });
  afterAll(() => db.drop());

  it("every statement names parameters the caller binds, and nothing else", () => {
    expect(new Set(STATEMENTS.connection.params)).toEqual(new Set(["orgId", "id"]));
    expect(new Set(STATEMENTS.connectionPage.params)).toEqual(new Set(["orgId", "limit", "status", "like", "cursorAt", "cursorId"]));
    expect(new Set(STATEMENTS.sessionAccess.params)).toEqual(new Set(["hash", "now", "slug"]));
    expect(new Set(STATEMENTS.sessionConnection.params)).toEqual(new Set(["hash", "now", "slug", "id"]));
    expect(new Set(STATEMENTS.sessionConnectionPage.params)).toEqual(
      new Set(["hash", "now", "slug", "limit", "status", "like", "cursorAt", "cursorId"]),
    );
    expect(new Set(STATEMENTS.tokenAccess.params)).toEqual(new Set(["hash", "slug"]));
    expect(new Set(STATEMENTS.tokenConnection.params)).toEqual(new Set(["hash", "slug", "id"]));
    expect(new Set(STATEMENTS.tokenConnectionPage.params)).toEqual(
      new Set(["hash", "slug", "limit", "status", "like", "cursorAt", "cursorId"]),
    );
    for (const statement of Object.values(STATEMENTS)) expect(statement.text).toMatch(/^select /);
  });

  it("the revocation read answers the connection's status and tokensValidAfter in whole milliseconds, as drizzle reads them", async () => {
    const d = db.handle.db;
    const at = new Date("2026-11-23T05:50:12.345Z");
    await d.update(connections).set({ tokensValidAfter: at }).where(eq(connections.id, connectionId));
    const [plain] = await d
      .select({ status: connections.status, after: connections.tokensValidAfter })
      .from(connections)
      .where(eq(connections.id, connectionId));
    expect(await readRevocation(db.handle, connectionId)).toEqual({ status: plain!.status, tokensValidAfterMs: plain!.after!.getTime() });
    expect(plain!.after!.getTime()).toBe(at.getTime());
    await d.update(connections).set({ tokensValidAfter: null }).where(eq(connections.id, connectionId));
    expect(await readRevocation(db.handle, connectionId)).toEqual({ status: plain!.status, tokensValidAfterMs: null });
    expect(await readRevocation(db.handle, "7d1f3a52-55d5-4c9e-9a43-3c1e0b7a0c11")).toBeUndefined();
  });

  it("the access columns and a read's columns share no name (a folded row would lose one)", () => {
    for (const access of [ACCESS_COLUMNS, TOKEN_ACCESS_COLUMNS])
      for (const read of [CONNECTION_COLUMNS, PAGE_COLUMNS])
        expect(access.filter((c) => (read as readonly string[]).includes(c))).toEqual([]);
  });

  it("the token statements answer the token, its role only under its own org, and the plain reads' rows for it", async () => {
    const d = db.handle.db;
    const expiresAt = new Date(Date.now() + 86_400_000);
    await d.insert(apiTokens).values({ orgId, name: "reads", role: "member", secretHash: "token-hash", prefix: "oidcc_abcd", expiresAt });
    const key = (hash: string, slug = "octo-org") => ({ hash, slug });
    const access = await reads.tokenAccess(key("token-hash"));
    expect(Object.keys(access ?? {}).sort()).toEqual([...TOKEN_ACCESS_COLUMNS].sort());
    expect(access).toMatchObject({ tokenName: "reads", secretHash: "token-hash", orgId, orgSlug: "octo-org", role: "member" });
    expect(access?.tokenExpiresAt).toBe(expiresAt.toISOString());
    expect(access?.tokenLastUsedAt).toBeNull();
    expect(await reads.tokenAccess(key("token-hash", "acme"))).toMatchObject({ orgSlug: "octo-org", role: null });
    expect(await reads.tokenAccess(key("no-such-hash"))).toBeUndefined();

    const folded = await reads.tokenConnection(key("token-hash"), connectionId);
    expect(Object.keys(folded ?? {}).sort()).toEqual([...TOKEN_ACCESS_COLUMNS, ...CONNECTION_COLUMNS].sort());
    const { tokenId, tokenName, secretHash, tokenExpiresAt, tokenLastUsedAt, orgId: o, orgSlug, orgName, role, ...connection } = folded!;
    expect({ tokenId, tokenName, secretHash, tokenExpiresAt, tokenLastUsedAt, orgId: o, orgSlug, orgName, role }).toEqual(access);
    expect(connection).toEqual(await reads.connection(orgId, connectionId));
    expect(await reads.tokenConnection(key("token-hash", "acme"), connectionId)).toMatchObject({ role: null, id: null, rulesets: null });
    expect(await reads.tokenConnection(key("no-such-hash"), connectionId)).toBeUndefined();

    const page = await reads.tokenConnectionPage(key("token-hash"), { limit: 100 });
    expect(
      page.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !(TOKEN_ACCESS_COLUMNS as readonly string[]).includes(k)))),
    ).toEqual(await reads.connectionPage({ orgId, limit: 100 }));
    expect(await reads.tokenConnectionPage(key("token-hash", "acme"), { limit: 100 })).toEqual([
      expect.objectContaining({ role: null, id: null }),
    ]);
    expect(await reads.tokenConnectionPage(key("no-such-hash"), { limit: 100 })).toEqual([]);
  });

  it("GET's statement answers the declared columns, prepared and in a transaction alike, with drizzle's values", async () => {
    const row = await reads.connection(orgId, connectionId);
    expect(Object.keys(row ?? {}).sort()).toEqual([...CONNECTION_COLUMNS].sort());
    const inTx = await db.handle.db.transaction((tx) => readConnectionIn(tx, orgId, connectionId));
    expect(inTx).toEqual(row);

    const [stored] = await db.handle.db.select().from(connections).where(eq(connections.id, connectionId));
    const [creator] = await db.handle.db.select().from(users).where(eq(users.id, stored!.createdBy!));
    expect(row).toMatchObject({
      id: stored!.id,
      name: "drift",
      status: "active",
      version: 1,
      maxTokenTtlSeconds: stored!.maxTokenTtlSeconds,
      createdAt: stored!.createdAt.toISOString(),
      updatedAt: stored!.updatedAt.toISOString(),
      lastUsedAt: stored!.lastUsedAt!.toISOString(),
      createdBy: { id: creator!.id, email: creator!.email, name: creator!.name },
      updatedBy: null,
      rulesetCount: 2,
      policy: { requireImmutableSubjects: false, requireGateForWrites: true, forbidPullRequestWrites: false, maxTokenTtlSeconds: 3600 },
    });
    const stored2 = await db.handle.db.select().from(rulesets).where(eq(rulesets.connectionId, connectionId)).orderBy(rulesets.position);
    expect(row!.rulesets).toEqual(
      stored2.map((r) => ({
        id: r.id,
        label: r.label,
        subject: r.subject,
        conditions: r.conditions,
        resources: r.resources,
        scopes: r.scopes,
        mode: r.mode,
        expiresAt: r.expiresAt ? r.expiresAt.toISOString() : null,
        lastUsedAt: null,
      })),
    );
    expect(await reads.connection(orgId, "7d1f3a52-55d5-4c9e-9a43-3c1e0b7a0c11")).toBeUndefined();
  });

  it("the list's statement answers the declared columns; rulesets only when the policy judges them", async () => {
    const rows = await reads.connectionPage({ orgId, limit: 100 });
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(Object.keys(row).sort()).toEqual([...PAGE_COLUMNS].sort());
    const mine = rows.find((r) => r.id === connectionId);
    expect(mine?.rulesets?.map((r) => r.label)).toEqual(["first", "second"]);
    expect(mine?.rulesetCount).toBe(2);

    await db.handle.db.update(orgPolicies).set({ requireGateForWrites: false }).where(eq(orgPolicies.orgId, orgId));
    const plain = await reads.connectionPage({ orgId, limit: 100 });
    expect(plain.every((r) => r.rulesets === null)).toBe(true);
    await db.handle.db.update(orgPolicies).set({ requireGateForWrites: true }).where(eq(orgPolicies.orgId, orgId));
  });
  it("the folded statements answer the access columns and, for a member only, what the plain reads answer", async () => {
    const d = db.handle.db;
    const [member] = await d
      .select({ id: users.id })
      .from(users)
      .innerJoin(memberships, eq(memberships.userId, users.id))
      .where(eq(memberships.orgId, orgId))
      .limit(1);
    const [outsider] = await d.insert(users).values({ email: "outsider@example.com", name: "Outsider", passwordHash: "x" }).returning();
    const expires = new Date(Date.now() + 60_000);
    await d.insert(sessions).values([
      { idHash: "member-session", userId: member!.id, expiresAt: expires },
      { idHash: "outsider-session", userId: outsider!.id, expiresAt: expires },
      { idHash: "dead-session", userId: member!.id, expiresAt: new Date(Date.now() - 1000) },
    ]);
    const key = (hash: string, slug = "octo-org"): SessionKey => ({ hash, slug, now: new Date().toISOString() });

    const access = await reads.sessionAccess(key("member-session"));
    expect(Object.keys(access ?? {}).sort()).toEqual([...ACCESS_COLUMNS].sort());
    expect(access).toMatchObject({ userId: member!.id, orgId, orgSlug: "octo-org", role: expect.stringMatching(/^(owner|member)$/) });
    expect(await reads.sessionAccess(key("dead-session"))).toBeUndefined();
    expect(await reads.sessionAccess(key("no-such-session"))).toBeUndefined();
    expect(await reads.sessionAccess(key("outsider-session"))).toMatchObject({ userId: outsider!.id, role: null });
    expect(await reads.sessionAccess(key("member-session", "no-such-org"))).toMatchObject({ orgId: null, role: null });

    const folded = await reads.sessionConnection(key("member-session"), connectionId);
    expect(Object.keys(folded ?? {}).sort()).toEqual([...ACCESS_COLUMNS, ...CONNECTION_COLUMNS].sort());
    const { userId, userEmail, userName, orgId: o, orgSlug, orgName, role, ...connection } = folded!;
    expect({ userId, userEmail, userName, orgId: o, orgSlug, orgName, role }).toEqual(access);
    expect(connection).toEqual(await reads.connection(orgId, connectionId));
    // Not a member: the access, and nothing of the org's connection.
    const outside = await reads.sessionConnection(key("outsider-session"), connectionId);
    expect(outside).toMatchObject({ role: null, id: null, name: null, rulesets: null });
    expect(await reads.sessionConnection(key("dead-session"), connectionId)).toBeUndefined();

    const page = await reads.sessionConnectionPage(key("member-session"), { limit: 100 });
    const plain = await reads.connectionPage({ orgId, limit: 100 });
    expect(page.map(({ userId: _u, userEmail: _e, userName: _n, orgId: _o, orgSlug: _s, orgName: _on, role: _r, ...row }) => row)).toEqual(
      plain,
    );
    const empty = await reads.sessionConnectionPage(key("member-session"), { limit: 100, like: "%no such connection%" });
    expect(empty).toHaveLength(1);
    expect(empty[0]).toMatchObject({ role: access!.role, id: null });
    expect(await reads.sessionConnectionPage(key("outsider-session"), { limit: 100 })).toEqual([
      expect.objectContaining({ role: null, id: null }),
    ]);
    expect(await reads.sessionConnectionPage(key("dead-session"), { limit: 100 })).toEqual([]);
  });
});

describe.each(DB_KINDS)("list pages over rows created at the same instant (%s)", (kind) => {
  let db: TestDatabase;
  afterAll(() => db.drop());

  it("one row per page: every row once, ordered by id among equal timestamps (the keyset's tie-break)", async () => {
    db = await createTestDatabase(kind);
    const d = db.handle.db;
    await seedDemo(d, testEnv(), pino({ level: "silent" }));
    const [org] = await d.select().from(organizations).where(eq(organizations.slug, "octo-org"));
    // Timestamps are stored to the millisecond (schema.ts), so rows of one millisecond tie on createdAt.
    const at = new Date("2026-01-02T03:04:05.123Z");
    const ids: { id: string; name: string }[] = [];
    for (const i of [0, 1, 2])
      ids.push(
        ...(await d
          .insert(connections)
          .values({ orgId: org!.id, name: `same-ms-${i}`, issuer: "https://x.example", createdAt: at })
          .returning({ id: connections.id, name: connections.name })),
      );
    const { listConnections } = await import("../src/connections/service");
    const reads = new AdminReads(db.handle);
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listConnections(reads, org!.id, { limit: 1, q: "same-ms-", cursor });
      names.push(...page.items.map((c) => c.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(names).toEqual(ids.sort((a, b) => (a.id < b.id ? 1 : -1)).map((r) => r.name));
  });
});
