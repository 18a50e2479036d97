import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { AdminReads, SessionAccessRow, SessionKey } from "../db/admin-reads";
import type { Database } from "../db/client";
import { sessions, users } from "../db/schema";
import type { OrgAccess, SessionUser } from "../domain/context";

export const hashSessionId = (id: string) => createHash("sha256").update(id).digest("base64url");

/** What a session id looks like (32 random bytes, base64url); anything else is no session. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The plain session lookup (routes outside /api/orgs/:org) runs on every such request, so it is
 * prepared once per database: no query building per request.
 */
function prepareSessionQuery(db: Database) {
  return db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.idHash, sql.placeholder("hash")), gt(sessions.expiresAt, sql.placeholder("now"))))
    .limit(1)
    .prepare("session_user");
}
const prepared = new WeakMap<Database, ReturnType<typeof prepareSessionQuery>>();

export async function findSession(db: Database, id: string): Promise<{ user: SessionUser; hash: string } | undefined> {
  let query = prepared.get(db);
  if (!query) {
    query = prepareSessionQuery(db);
    prepared.set(db, query);
  }
  const hash = hashSessionId(id);
  const [row] = await query.execute({ hash, now: new Date().toISOString() });
  return row ? { user: row, hash } : undefined;
}

/** Who a session is, for the org `slug`, as the admin reads look it up (`sessionAccessQuery`). */
export const sessionKey = (id: string, slug: string): SessionKey => ({ hash: hashSessionId(id), slug, now: new Date().toISOString() });

/** A session's user and their membership of the org (undefined when they have none). */
export function accessOf(row: SessionAccessRow): { user: SessionUser; org: OrgAccess | undefined } {
  const org =
    row.orgId && row.orgSlug && row.orgName && row.role
      ? { id: row.orgId, slug: row.orgSlug, name: row.orgName, role: row.role }
      : undefined;
  return { user: { id: row.userId, email: row.userEmail, name: row.userName }, org };
}

/** The session's user and, in the same query, their membership of the org `slug` (undefined when none). */
export async function findSessionWithOrg(
  reads: AdminReads,
  id: string,
  slug: string,
): Promise<{ user: SessionUser; hash: string; org: OrgAccess | undefined } | undefined> {
  const key = sessionKey(id, slug);
  const row = await reads.sessionAccess(key);
  return row ? { ...accessOf(row), hash: key.hash } : undefined;
}

/** A fresh session id at every login (returned, for the cookie); the one the browser had (if any) dies. */
export async function startSession(db: Database, ttlSeconds: number, userId: string, previousId?: string): Promise<string> {
  const id = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  await db.transaction(async (tx) => {
    if (previousId) await tx.delete(sessions).where(eq(sessions.idHash, hashSessionId(previousId)));
    await tx.delete(sessions).where(and(eq(sessions.userId, userId), lt(sessions.expiresAt, new Date())));
    await tx.insert(sessions).values({ idHash: hashSessionId(id), userId, expiresAt });
  });
  return id;
}

export async function endSession(db: Database, id: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.idHash, hashSessionId(id)));
}
