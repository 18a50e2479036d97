/** Helpers shared by the admin API suites (admin-*.test.ts): direct SQL and row counts. */
import { type SQL, sql } from "drizzle-orm";
import { expect } from "vitest";
import type { Response2, TestApp } from "./support/harness";

export const CONNECTIONS = "/api/orgs/octo-org/oidc-connections";

/** Rows of a raw query, whichever driver runs it (PGlite answers `{rows}`, postgres.js an array). */
export async function query<T = Record<string, unknown>>(t: TestApp, statement: SQL): Promise<T[]> {
  const result = (await t.deps.database.db.execute(statement)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

export async function counts(t: TestApp) {
  const [row] = await query<{ c: number; r: number; e: number }>(
    t,
    sql`select (select count(*)::int from connections) as c, (select count(*)::int from rulesets) as r, (select count(*)::int from events) as e`,
  );
  return { connections: Number(row?.c), rulesets: Number(row?.r), events: Number(row?.e) };
}

export function ruleset(i: number, overrides: Record<string, unknown> = {}) {
  return {
    label: `rs-${i}`,
    subject: `repo:octo-org/api:ref:refs/heads/r${i}`,
    resources: ["octo-org/api"],
    scopes: ["pull"],
    ...overrides,
  };
}

/** An error body of SPEC §5 with this status and code; no stack trace, no SQL. */
export function expectError(res: Response2, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expectNoLeak(res);
}

export function expectNoLeak(res: Response2) {
  const text = JSON.stringify(res.body);
  expect(text).not.toMatch(
    /\n\s+at |\.ts:\d+|node_modules|\b(select|insert|update|delete)\b .*\b(from|into|set|where)\b|violates|constraint|relation "/i,
  );
}

/** The `path`s of a validation error's issues. */
export const issuePaths = (res: Response2) => ((res.body as any)?.error?.issues ?? []).map((i: { path: unknown }) => i.path);
