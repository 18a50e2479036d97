import { LoginInputSchema, type Me } from "@oidc/shared";
import { asc, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { decoyHash, verifyPassword } from "../auth/password";
import { endSession, readSessionId, startSession } from "../auth/sessions";
import type { Database } from "../db/client";
import { memberships, organizations, users } from "../db/schema";
import type { AppEnv, Deps } from "../http/context";
import { ApiError } from "../http/errors";
import { clientIp, rateLimit, requireUser } from "../http/middleware";
import { RateLimiter } from "../http/rate-limit";
import { jsonBody } from "../http/validate";

export async function loadMe(db: Database, userId: string): Promise<Me | undefined> {
  const [user] = await db.select({ id: users.id, email: users.email, name: users.name }).from(users).where(eq(users.id, userId));
  if (!user) return undefined;
  const rows = await db
    .select({ org: organizations, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(organizations.name));
  return {
    user,
    memberships: rows.map(({ org, role }) => ({
      org: { id: org.id, slug: org.slug, name: org.name, githubOwner: org.githubOwner, githubOwnerId: org.githubOwnerId },
      role,
    })),
  };
}

export function authRoutes(deps: Deps) {
  const { db } = deps.database;
  const byIp = new RateLimiter(deps.env.loginRateLimit, 60_000);
  const byEmail = new RateLimiter(deps.env.loginRateLimit, 60_000);
  return new Hono<AppEnv>()
    .post(
      "/auth/login",
      rateLimit(byIp, (c) => `login-ip:${clientIp(c, deps.env.trustProxy) ?? "unknown"}`),
      jsonBody(LoginInputSchema),
      async (c) => {
        const { email, password } = c.req.valid("json");
        const limited = byEmail.hit(email.toLowerCase());
        if (!limited.ok)
          throw new ApiError(429, "rate_limited", `Too many sign-in attempts; try again in ${limited.retryAfterSeconds} s`, undefined, {
            "Retry-After": String(limited.retryAfterSeconds),
          });
        const [user] = await db
          .select({ id: users.id, hash: users.passwordHash })
          .from(users)
          .where(eq(sql`lower(${users.email})`, email.toLowerCase()))
          .limit(1);
        // Same work and the same answer for an unknown email and a wrong password.
        const ok = await verifyPassword(password, user?.hash ?? (await decoyHash()));
        if (!user || !ok) throw new ApiError(401, "invalid_credentials", "Wrong email or password");
        await startSession(c, db, deps.env, user.id, readSessionId(c, deps.env));
        const me = await loadMe(db, user.id);
        c.get("log").info({ userId: user.id }, "signed in");
        return c.json(me as Me, 200);
      },
    )
    .post("/auth/logout", async (c) => {
      await endSession(c, db, deps.env, readSessionId(c, deps.env));
      return c.body(null, 204);
    })
    .get("/me", requireUser, async (c) => {
      const me = await loadMe(db, c.get("user")?.id ?? "");
      if (!me) throw new ApiError(401, "unauthenticated", "Sign in first; your session is missing or has expired");
      return c.json(me, 200);
    });
}
