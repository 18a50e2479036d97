import { sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionPageQuery } from "../src/db/admin-reads";
import { connections, events, organizations } from "../src/db/schema";
import { seedDemo } from "../src/seed";
import { createTestDatabase, DB_KINDS, type TestDatabase, testEnv } from "./support/harness";

/**
 * The list and events pages are keyset queries ordered newest first; their indexes must give that
 * order (the list is checked with the service's own statement, db/admin-reads.ts), or every page reads and sorts all of the org's connections (or events) — a cost that grows
 * with the table. With sorting and sequential scans disabled, a plan that still sorts means the
 * index cannot serve the ORDER BY.
 */
describe.each(DB_KINDS)("admin queries use their indexes (%s)", (kind) => {
  let db: TestDatabase;
  let orgId: string;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    await seedDemo(db.handle.db, testEnv(), pino({ level: "silent" }));
    const [org] = await db.handle.db.select().from(organizations).where(sql`slug = 'octo-org'`);
    orgId = org!.id;
    await db.handle.db
      .insert(connections)
      .values(Array.from({ length: 50 }, (_, i) => ({ orgId, name: `c${i}`, issuer: "https://token.actions.githubusercontent.com" })));
    await db.handle.db.insert(events).values(
      Array.from({ length: 50 }, () => ({
        orgId,
        connectionId: "7d1f3a52-55d5-4c9e-9a43-3c1e0b7a0c11",
        type: "token.denied",
        actorType: "workflow" as const,
        actorName: "x",
        outcome: "failure" as const,
      })),
    );
  });
  afterAll(() => db.drop());

  async function plan(query: ReturnType<typeof sql>): Promise<string> {
    return db.handle.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_sort = off`);
      await tx.execute(sql`set local enable_seqscan = off`);
      const result = (await tx.execute(sql`explain ${query}`)) as unknown;
      const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, string>[];
      return rows.map((r) => r["QUERY PLAN"]).join("\n");
    });
  }

  // The list's own statement (db/admin-reads.ts), with the values a first page and a next page bind.
  const page = (values: { cursorAt?: string; cursorId?: string; status?: string; like?: string }) =>
    connectionPageQuery({
      orgId,
      limit: 26,
      status: values.status ?? null,
      like: values.like ?? null,
      cursorAt: values.cursorAt ?? null,
      cursorId: values.cursorId ?? null,
    });

  it("connections, first page and next pages: newest first from connections_org_created_idx, no sort", async () => {
    const first = await plan(page({}));
    expect(first).toContain("connections_org_created_idx");
    expect(first).not.toMatch(/\bSort\b/);
    const next = await plan(page({ cursorAt: new Date().toISOString(), cursorId: "7d1f3a52-55d5-4c9e-9a43-3c1e0b7a0c11" }));
    expect(next).toContain("connections_org_created_idx");
    expect(next).not.toMatch(/\bSort\b/);
    // The keyset bound is an index condition (a next page starts where the last one ended), not a filter.
    expect(next).toMatch(/Index Cond: .*created_at.*id/);
    const filtered = await plan(page({ status: "active", like: "%c1%" }));
    expect(filtered).toContain("connections_org_created_idx");
    expect(filtered).not.toMatch(/\bSort\b/);
  });

  it("the policy and the owner are read once per statement (InitPlan), not once per row", async () => {
    const first = await plan(page({}));
    expect(first).toMatch(/InitPlan/);
  });

  it("events of a connection: newest first from an (…, id desc) index, no sort", async () => {
    const page = await plan(
      sql`select * from ${events} where ${events.orgId} = ${orgId} and ${events.connectionId} = ${"7d1f3a52-55d5-4c9e-9a43-3c1e0b7a0c11"} order by ${events.id} desc limit 26`,
    );
    // Without statistics the planner may pick either index; both give id order (the primary key
    // walked backwards would read every event of every org).
    expect(page).toMatch(/events_(connection|org)_idx/);
    expect(page).not.toMatch(/\bSort\b/);
  });
});
