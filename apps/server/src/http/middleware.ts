import { randomUUID } from "node:crypto";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import { findApiToken } from "../auth/api-tokens";
import { findSession, findSessionWithOrg } from "../auth/sessions";
import { AdminReads } from "../db/admin-reads";
import { currentScope, DATABASE_DEADLINE_MS, RECORD_EXTRA_MS, RequestScope, requestScope } from "../db/deadline";
import { Forbidden, NotFound } from "../domain/errors";
import { observeRequest } from "../metrics";
import { findMembership } from "../orgs/membership";
import type { AppEnv, Deps } from "./context";
import { ApiError } from "./errors";
import { type RateLimits, rateLimit } from "./rate-limit";
import { answerHeader } from "./response-headers";
import { readSessionId, sessionCookieName } from "./session-cookie";

/** The caller's address: the socket's, or the first X-Forwarded-For hop with TRUST_PROXY=1. */
export function clientIp(c: Context, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null; // app.request() in tests has no socket
  }
}

/** A request id (ours, or a sane incoming X-Request-Id), echoed back, and one log line per request. */
export function requestContext(deps: Deps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && /^[A-Za-z0-9._-]{8,64}$/.test(incoming) ? incoming : randomUUID();
    const log = deps.log.child({ requestId });
    c.set("requestId", requestId);
    c.set("log", log);
    answerHeader(c, "X-Request-Id", requestId);
    const started = performance.now();
    await next();
    const elapsed = performance.now() - started;
    // The route as registered (bounded), never the URL: an unknown path adds no series.
    observeRequest(c.req.method, routePath(c), c.res.status, elapsed / 1000);
    const ms = Math.round(elapsed * 10) / 10;
    const line = { method: c.req.method, path: c.req.path, status: c.res.status, ms };
    if (c.res.status >= 500) log.error(line, "request");
    else log.info(line, "request");
  };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** `Authorization: Bearer <token>` → the token; anything else → undefined. */
export function bearerToken(c: Context): string | undefined {
  const header = c.req.header("authorization");
  const m = header ? /^Bearer[ \t]+(\S*)[ \t]*$/i.exec(header) : null;
  return m ? (m[1] ?? "") : undefined;
}

/**
 * CSRF (SPEC §5, §10): a state-changing request that carries our session cookie must prove it
 * comes from our own pages, with an `Origin` equal to ours (the public origin or the one
 * the request was made to) or `Sec-Fetch-Site: same-origin`; neither → 403, and so does any sign
 * of another site. Requests with `Authorization: Bearer` need neither: browsers never attach that
 * header on their own, and the token is checked by `loadSession`.
 */
export function sameOriginWrites(deps: Deps): MiddlewareHandler<AppEnv> {
  const publicOrigin = new URL(deps.env.publicUrl).origin;
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method) && bearerToken(c) === undefined) {
      const site = c.req.header("sec-fetch-site");
      const origin = c.req.header("origin");
      const requestOrigin = new URL(c.req.url).origin;
      const sameOrigin = origin !== undefined && (origin === publicOrigin || origin === requestOrigin);
      // "none" (typed by the user) is no sign of another site, but no proof either.
      const crossSignal = (site !== undefined && site !== "same-origin" && site !== "none") || (origin !== undefined && !sameOrigin);
      // Without our session cookie nothing is authenticated by it (a sign-in, a stray logout).
      const withCookie = getCookie(c, sessionCookieName(deps.env)) !== undefined;
      if (crossSignal || (withCookie && !(sameOrigin || site === "same-origin")))
        throw new Forbidden(
          "State-changing requests must come from the console on this site (Origin or Sec-Fetch-Site: same-origin); scripts use an API token (Authorization: Bearer)",
        );
    }
    await next();
  };
}

/** Too many requests from one client, in the SPEC's error body (/api, login): 429 `rate_limited` with Retry-After. */
export function apiRateLimited(message = "Too many requests") {
  return (_c: Context<AppEnv>, retryAfterSeconds: number): never => {
    throw new ApiError(429, "rate_limited", `${message}; try again in ${retryAfterSeconds} s`, undefined, {
      "Retry-After": String(retryAfterSeconds),
    });
  };
}

/** API_RATE_LIMIT requests a minute per client address on /api. */
export function apiRateLimit(deps: Deps, limits: RateLimits): MiddlewareHandler<AppEnv> {
  if (deps.env.apiRateLimit <= 0) return (_c, next) => next();
  return rateLimit(limits.limiter("api", deps.env.apiRateLimit), (c) => clientIp(c, deps.env.trustProxy) ?? "unknown", apiRateLimited());
}

/** An org slug as the session middleware looks it up with the session (anything else: `orgAccess` alone decides). */
const ORG_SLUG = "[a-z0-9-]{1,64}";
const ORG_PATH = new RegExp(`^/api/orgs/(${ORG_SLUG})(?:/|$)`);
const ORG_SLUG_ONLY = new RegExp(`^${ORG_SLUG}$`);
export const isOrgSlug = (slug: string) => ORG_SLUG_ONLY.test(slug);

const BEARER_ONLY_UNDER_ORGS = "API tokens work only under /api/orgs/<their organisation>/";

/**
 * Loads the caller for everything under /api: an API token (`Authorization: Bearer oidcc_…`,
 * SPEC §10) or the session user. A token works only under /api/orgs/<its org>/ (another org is a
 * 404 like any org one cannot see; /api/me and /api/auth/* are 401); the cookie is then ignored.
 * Under /api/orgs/:org the session's membership of that org comes in the same query, for
 * `orgAccess` (one round trip, not two).
 */
export function loadSession(deps: Deps): MiddlewareHandler<AppEnv> {
  const reads = new AdminReads(deps.database);
  return async (c, next) => {
    const bearer = bearerToken(c);
    if (bearer !== undefined) {
      const slug = /^\/api\/orgs\/([^/]+)/.exec(c.req.path)?.[1];
      if (!slug) throw new ApiError(401, "unauthenticated", BEARER_ONLY_UNDER_ORGS);
      const found = await findApiToken(reads, deps.database.db, bearer, slug, (err) =>
        c.get("log").warn({ err }, "api token: could not update lastUsedAt"),
      );
      if (!found) throw new ApiError(401, "unauthenticated", "The API token is malformed, unknown, revoked or expired");
      c.set("apiToken", { id: found.id, name: found.name });
      c.set("orgLookup", { slug, org: found.org });
      return next();
    }
    const id = readSessionId(c, deps.env);
    if (id) {
      const slug = ORG_PATH.exec(c.req.path)?.[1];
      if (slug) {
        const found = await findSessionWithOrg(reads, id, slug);
        if (found) {
          c.set("user", found.user);
          c.set("sessionHash", found.hash);
          c.set("orgLookup", { slug, org: found.org });
        }
      } else {
        const found = await findSession(deps.database.db, id);
        if (found) {
          c.set("user", found.user);
          c.set("sessionHash", found.hash);
        }
      }
    }
    await next();
  };
}

export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.get("user") && !c.get("apiToken"))
    throw new ApiError(401, "unauthenticated", "Sign in first; your session is missing or has expired");
  await next();
});

/**
 * Resolves `:org` to an organisation the user belongs to. Anything else is a 404, whether the org
 * exists or not (SPEC §5: never reveal existence). Membership is read on every request, so a
 * removed membership takes effect at once.
 */
export function orgAccess(deps: Deps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = c.get("user");
    const slug = c.req.param("org") ?? "";
    const lookup = c.get("orgLookup");
    if (lookup && lookup.slug === slug) {
      if (!lookup.org) throw new NotFound();
      c.set("org", lookup.org);
      return next();
    }
    if (!user || c.get("apiToken") || slug.length > 64) throw new NotFound();
    const org = await findMembership(deps.database.db, user.id, slug);
    if (!org) throw new NotFound();
    c.set("org", org);
    await next();
  };
}

export const requireOwner = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("org").role !== "owner")
    throw new Forbidden(
      c.get("apiToken")
        ? "This API token has the member role: it can only read; create an owner token to make changes"
        : "Only organisation owners can change OIDC connections; ask an owner of this organisation",
    );
  await next();
});

const sleep = (ms: number) => new Promise<"slept">((resolve) => setTimeout(() => resolve("slept"), ms));

/**
 * SPEC §13: a request that has waited on the database for DATABASE_DEADLINE_MS without a break is
 * answered 503 by `unavailable` at once. It runs in the request's RequestScope (the server's, or a
 * new one under app.request() in tests); the scope is then expired, so that the work it leaves
 * running changes nothing. A COMMIT already sent is waited for instead: its outcome is the answer.
 */
export function databaseDeadline(unavailable: (c: Context<AppEnv>) => Response, ms = DATABASE_DEADLINE_MS): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const scope = currentScope();
    if (!scope) return requestScope.run(new RequestScope(ms), () => databaseDeadline(unavailable, ms)(c, next));
    scope.deadlineMs = ms;
    const done = next().then(() => "done" as const);
    try {
      if ((await Promise.race([done, scope.late.then(() => "late" as const)])) === "done") return;
      // An exchange whose recording statement is on its way: a little longer for its real answer.
      if (scope.recordSent && (await Promise.race([done, sleep(RECORD_EXTRA_MS)])) === "done") return;
      if (!scope.expire()) {
        await done;
        return;
      }
      // The leftover work must not answer any more (nor fail the process).
      done.catch(() => {});
      c.get("log")?.warn({ ms }, "database deadline passed: answered 503");
      return unavailable(c);
    } finally {
      scope.finish();
    }
  };
}
