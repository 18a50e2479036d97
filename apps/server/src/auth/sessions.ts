import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { memberships, organizations, sessions, users } from "../db/schema";
import type { OrgAccess, SessionUser } from "../domain/context";

export const hashSessionId = (id: string) => createHash("sha256").update(id).digest("base64url");

/** What a session id looks like (32 random bytes, base64url); anything else is no session. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The session lookups run on every API request, so they are prepared once per database: no query
 * building per request, and the org membership comes in the same round trip as the session.
 */
function prepareSessionQueries(db: Database) {
  const live = and(eq(sessions.idHash, sql.placeholder("hash")), gt(sessions.expiresAt, sql.placeholder("now")));
  return {
    user: db
      .select({ id: users.id, email: users.email, name: users.name })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(live)
      .limit(1)
      .prepare("session_user"),
    userAndOrg: db
      .select({
        id: users.id,
        email: users.email,
        name: users.name,
        orgId: organizations.id,
        orgSlug: organizations.slug,
        orgName: organizations.name,
        role: memberships.role,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .leftJoin(organizations, eq(organizations.slug, sql.placeholder("slug")))
      .leftJoin(memberships, and(eq(memberships.orgId, organizations.id), eq(memberships.userId, users.id)))
      .where(live)
      .limit(1)
      .prepare("session_user_org"),
  };
}
const prepared = new WeakMap<Database, ReturnType<typeof prepareSessionQueries>>();
function sessionQueries(db: Database) {
  let queries = prepared.get(db);
  if (!queries) {
    queries = prepareSessionQueries(db);
    prepared.set(db, queries);
  }
  return queries;
}

export async function findSession(db: Database, id: string): Promise<{ user: SessionUser; hash: string } | undefined> {
  const hash = hashSessionId(id);
  const [row] = await sessionQueries(db).user.execute({ hash, now: new Date().toISOString() });
  return row ? { user: row, hash } : undefined;
}

/** The session's user and, in the same query, their membership of the org `slug` (undefined when none). */
export async function findSessionWithOrg(
  db: Database,
  id: string,
  slug: string,
): Promise<{ user: SessionUser; hash: string; org: OrgAccess | undefined } | undefined> {
  const hash = hashSessionId(id);
  const [row] = await sessionQueries(db).userAndOrg.execute({ hash, now: new Date().toISOString(), slug });
  if (!row) return undefined;
  const org =
    row.orgId && row.orgSlug && row.orgName && row.role
      ? { id: row.orgId, slug: row.orgSlug, name: row.orgName, role: row.role }
      : undefined;
  return { user: { id: row.id, email: row.email, name: row.name }, hash, org };
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
