import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, lt } from "drizzle-orm";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Database } from "../db/client";
import { sessions, users } from "../db/schema";
import type { Env } from "../env";
import type { SessionUser } from "../http/context";

export const hashSessionId = (id: string) => createHash("sha256").update(id).digest("base64url");

/** `__Host-` prefixed and Secure behind https (SPEC §5); plain name on http://localhost. */
export function sessionCookieName(env: Env) {
  return env.publicUrl.startsWith("https://") ? "__Host-oidc_session" : "oidc_session";
}

export function readSessionId(c: Context, env: Env): string | undefined {
  const value = getCookie(c, sessionCookieName(env));
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

export async function findSession(db: Database, id: string): Promise<{ user: SessionUser; hash: string } | undefined> {
  const hash = hashSessionId(id);
  const [row] = await db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.idHash, hash), gt(sessions.expiresAt, new Date())))
    .limit(1);
  return row ? { user: row, hash } : undefined;
}

/** A fresh session id at every login; the one the browser had (if any) dies. */
export async function startSession(c: Context, db: Database, env: Env, userId: string, previousId?: string) {
  const id = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + env.sessionTtlSeconds * 1000);
  await db.transaction(async (tx) => {
    if (previousId) await tx.delete(sessions).where(eq(sessions.idHash, hashSessionId(previousId)));
    await tx.delete(sessions).where(and(eq(sessions.userId, userId), lt(sessions.expiresAt, new Date())));
    await tx.insert(sessions).values({ idHash: hashSessionId(id), userId, expiresAt });
  });
  setCookie(c, sessionCookieName(env), id, {
    httpOnly: true,
    sameSite: "Lax",
    secure: env.publicUrl.startsWith("https://"),
    path: "/",
    maxAge: env.sessionTtlSeconds,
  });
}

export async function endSession(c: Context, db: Database, env: Env, id: string | undefined) {
  if (id) await db.delete(sessions).where(eq(sessions.idHash, hashSessionId(id)));
  deleteCookie(c, sessionCookieName(env), { path: "/", secure: env.publicUrl.startsWith("https://") });
}
