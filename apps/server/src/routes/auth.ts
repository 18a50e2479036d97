import { LoginInputSchema, type Me } from "@oidc/shared";
import { asc, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { decoyHash, verifyPassword } from "../auth/password";
import { endSession, readSessionId, startSession } from "../auth/sessions";
import type { Database } from "../db/client";
import { memberships, organizations, users } from "../db/schema";
import type { AppEnv, Deps } from "../http/context";
import { ApiError } from "../http/errors";
import { apiRateLimited, clientIp, requireUser } from "../http/middleware";
import { type RateLimits, rateLimit } from "../http/rate-limit";
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

export function authRoutes(deps: Deps, limits: RateLimits) {
  const { db } = deps.database;
  const byIp = limits.limiter("login-ip", deps.env.loginRateLimit);
  const byEmail = limits.limiter("login-email", deps.env.loginRateLimit);
  const tooManyAttempts = apiRateLimited("Too many sign-in attempts");
  return new Hono<AppEnv>()
    .post(
      "/auth/login",
      rateLimit(byIp, (c) => clientIp(c, deps.env.trustProxy) ?? "unknown", tooManyAttempts),
      jsonBody(LoginInputSchema),
      async (c) => {
        const { email, password } = c.req.valid("json");
        // By email once the body is parsed: a function call through the same limiter abstraction.
        const limited = await byEmail.hit(email.toLowerCase());
        if (!limited.ok) tooManyAttempts(c, limited.retryAfterSeconds);
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
