import { LoginInputSchema, type Me } from "@oidc/shared";
import { Hono } from "hono";
import { endSession, startSession } from "../auth/sessions";
import { authenticate, loadMe } from "../auth/users";
import type { AppEnv, Deps } from "../http/context";
import { ApiError } from "../http/errors";
import { clientIp, rateLimit, requireUser } from "../http/middleware";
import { RateLimiter } from "../http/rate-limit";
import { clearSessionCookie, readSessionId, setSessionCookie } from "../http/session-cookie";
import { jsonBody } from "../http/validate";

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
        const userId = await authenticate(db, email, password);
        if (!userId) throw new ApiError(401, "invalid_credentials", "Wrong email or password");
        const id = await startSession(db, deps.env.sessionTtlSeconds, userId, readSessionId(c, deps.env));
        setSessionCookie(c, deps.env, id);
        const me = await loadMe(db, userId);
        c.get("log").info({ userId }, "signed in");
        return c.json(me as Me, 200);
      },
    )
    .post("/auth/logout", async (c) => {
      const id = readSessionId(c, deps.env);
      if (id) await endSession(db, id);
      clearSessionCookie(c, deps.env);
      return c.body(null, 204);
    })
    .get("/me", requireUser, async (c) => {
      const me = await loadMe(db, c.get("user")?.id ?? "");
      if (!me) throw new ApiError(401, "unauthenticated", "Sign in first; your session is missing or has expired");
      return c.json(me, 200);
    });
}
