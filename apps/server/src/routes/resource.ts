import { Hono } from "hono";
import type { AppEnv, Deps } from "../http/context";
import { errorBody, RETRY_AFTER_SECONDS } from "../http/errors";
import { clientIp } from "../http/middleware";
import { type RateLimits, rateLimit } from "../http/rate-limit";
import type { TokenServices } from "../token";
import { InvalidAccessToken, verifyAccessToken } from "../token/access";

/**
 * `GET /api/v1/repositories/:org/:repo/access` with `Authorization: Bearer <access token>` (SPEC
 * §6.5): 200 `{repository, actions}`, 401 for a missing/invalid/expired/revoked token, 403 when the
 * token grants nothing on the repository. No session, no cookies: a machine API.
 */
export function resourceRoutes(deps: Deps, services: TokenServices, limits: RateLimits) {
  const limited = rateLimit(
    limits.limiter("resource", deps.env.apiRateLimit),
    (c) => clientIp(c, deps.env.trustProxy) ?? "unknown",
    (c, retryAfterSeconds) => c.json(errorBody("rate_limited", `Too many requests; try again in ${retryAfterSeconds} s`), 429),
  );
  return new Hono<AppEnv>().get("/repositories/:org/:repo/access", limited, async (c) => {
    const authorization = c.req.header("authorization") ?? "";
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization);
    const unauthenticated = (message: string, error?: string) => {
      c.header("WWW-Authenticate", error ? `Bearer error="${error}", error_description="${message}"` : "Bearer");
      c.header("Cache-Control", "no-store");
      return c.json(errorBody("unauthenticated", message), 401);
    };
    if (!match?.[1]) return unauthenticated("Send an access token: Authorization: Bearer <token>");
    let claims: Awaited<ReturnType<typeof verifyAccessToken>>;
    try {
      claims = await verifyAccessToken(match[1], deps.env, services.keys, deps.database);
    } catch (error) {
      if (error instanceof InvalidAccessToken) return unauthenticated(error.message, "invalid_token");
      // Revocation cannot be checked without the database: refuse to answer rather than guess.
      (c.get("log") ?? deps.log).error({ err: error }, "resource check failed");
      c.header("Retry-After", String(RETRY_AFTER_SECONDS));
      return c.json(errorBody("service_unavailable", "The access check is unavailable at the moment; try again"), 503);
    }
    const repository = `${c.req.param("org")}/${c.req.param("repo")}`;
    const grant = claims.access.find(
      (g) => g?.type === "repository" && typeof g.name === "string" && g.name.toLowerCase() === repository.toLowerCase(),
    );
    c.header("Cache-Control", "no-store");
    if (!grant || claims.org.toLowerCase() !== (c.req.param("org") ?? "").toLowerCase() || !grant.actions?.length) {
      c.header("WWW-Authenticate", 'Bearer error="insufficient_scope"');
      return c.json(errorBody("forbidden", `The token grants no access to ${repository}`), 403);
    }
    return c.json({ repository: grant.name, actions: grant.actions }, 200);
  });
}
