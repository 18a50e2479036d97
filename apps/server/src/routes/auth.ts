import { LoginInputSchema, type Me } from "@oidc/shared";
import { Hono } from "hono";
import { endSession, startSession } from "../auth/sessions";
import { authenticate, loadMe } from "../auth/users";
import type { AppEnv, Deps } from "../http/context";
import { ApiError } from "../http/errors";
import { apiRateLimited, clientIp, requireUser } from "../http/middleware";
import { type RateLimits, rateLimit } from "../http/rate-limit";
import { clearSessionCookie, readSessionId, setSessionCookie } from "../http/session-cookie";
import { jsonBody } from "../http/validate";

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
