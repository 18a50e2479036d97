import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serveStatic } from "@hono/node-server/serve-static";
import { type Context, Hono } from "hono";
import { bodyLimit } from "./http/body";
import type { AppEnv, Deps } from "./http/context";
import { errorBody, RETRY_AFTER_SECONDS, serviceUnavailable, toErrorResponse } from "./http/errors";
import { apiRateLimit, databaseDeadline, loadSession, orgAccess, requestContext, requireUser, sameOriginWrites } from "./http/middleware";
import { RateLimits } from "./http/rate-limit";
import { securityHeaders } from "./http/response-headers";
import { configureMetrics, setDatabasePoolSize } from "./metrics";
import { apiTokenRoutes } from "./routes/api-tokens";
import { authRoutes } from "./routes/auth";
import { configRoutes } from "./routes/config";
import { connectionRoutes, foldedReadRoutes } from "./routes/connections";
import { devIssuerRoutes } from "./routes/dev-issuer";
import { docsRoutes } from "./routes/docs";
import { publicMetricsRoutes } from "./routes/metrics";
import { oauthRoutes, errorResponse as tokenErrorResponse } from "./routes/oauth";
import { policyRoutes } from "./routes/policy";
import { registryRoutes, registryUnavailable } from "./routes/registry";
import { repositoryRoutes } from "./routes/repositories";
import { resourceRoutes } from "./routes/resource";
import { visibilityRoutes } from "./routes/visibility";
import { wellKnownRoutes } from "./routes/well-known";
import { createTokenServices } from "./token";
import { DevIssuer } from "./token/dev-issuer";
import { unavailable } from "./token/errors";

const API_BODY_LIMIT = 1024 * 1024;
/** `/readyz` answers 503 when the database has not answered a ping within this (SPEC §13: within 1 s). */
const READY_TIMEOUT_MS = 500;

/** The admin API's body limit (GET and HEAD have none: not read). */
const apiBodyLimit = bodyLimit({
  maxSize: API_BODY_LIMIT,
  onError: (c) => c.json(errorBody("payload_too_large", "The request body is larger than 1 MiB"), 413),
});

/** The admin API (SPEC §5), mounted at /api; its type is what the console's client is typed with. */
function apiRoutes(deps: Deps, limits: RateLimits) {
  return (
    new Hono<AppEnv>()
      .use(apiRateLimit(deps, limits))
      .use(sameOriginWrites(deps))
      // The two hot reads of a member or an API token, folded into its lookup; anything else goes on.
      .route("/", foldedReadRoutes(deps))
      .use(loadSession(deps))
      .use("/orgs/*", requireUser)
      .use("/orgs/:org/*", orgAccess(deps))
      .route("/", authRoutes(deps, limits))
      .route("/", configRoutes(deps))
      .route("/", connectionRoutes(deps))
      .route("/", repositoryRoutes(deps))
      .route("/", apiTokenRoutes(deps))
      .route("/", visibilityRoutes(deps))
      .route("/", policyRoutes(deps))
  );
}

/** Where the built console is: CONSOLE_DIR, or apps/console/dist beside this package. */
function consoleDir(deps: Deps): string {
  if (deps.env.consoleDir) return deps.env.consoleDir;
  const here = fileURLToPath(new URL(".", import.meta.url));
  // src/ in development and tests, dist/ when bundled: both sit one level under apps/server.
  return fileURLToPath(
    new URL(here.endsWith("/src/") || here.endsWith("/dist/") ? "../../console/dist" : "../console/dist", import.meta.url),
  );
}

export function createApp(deps: Deps) {
  configureMetrics(deps.env.metrics.enabled);
  setDatabasePoolSize(deps.database.kind === "pglite" ? 1 : deps.env.databasePoolSize);
  const app = new Hono<AppEnv>();
  app.use(requestContext(deps));
  app.use(securityHeaders(deps.env.publicUrl));

  app.get("/healthz", (c) => c.json({ status: "ok" }, 200));
  // docs/operations.md: open outside production, behind METRICS_TOKEN, or only on METRICS_PORT.
  if (deps.env.metrics.publicPort !== "off") app.route("/", publicMetricsRoutes(deps.env.metrics));
  app.get("/readyz", async (c) => {
    // SPEC §13: 503 within 1 s when the database does not answer (down, frozen, or overloaded).
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no answer in time")), READY_TIMEOUT_MS);
    });
    const ping = deps.database.ping();
    try {
      await Promise.race([ping, late]);
      return c.json({ status: "ready" }, 200);
    } catch {
      ping.catch(() => {});
      c.header("Retry-After", String(RETRY_AFTER_SECONDS));
      return c.json({ status: "unavailable", reason: "database" }, 503);
    } finally {
      clearTimeout(timer);
    }
  });

  // SPEC §13: everything that needs the database answers 503 rather than waits when it does not answer.
  const adminUnavailable = (c: Context<AppEnv>) => {
    c.header("Retry-After", String(RETRY_AFTER_SECONDS));
    const error = serviceUnavailable();
    return c.json(errorBody(error.code, error.message), 503);
  };
  app.use("/api/*", databaseDeadline(adminUnavailable));
  app.use("/.well-known/*", databaseDeadline(adminUnavailable));
  app.use("/dev-issuer/*", databaseDeadline(adminUnavailable));
  app.use(
    "/registry/*",
    databaseDeadline((c) => registryUnavailable(c, RETRY_AFTER_SECONDS)),
  );
  app.use(
    "/oauth/*",
    databaseDeadline((c) =>
      tokenErrorResponse(c, unavailable("database_unavailable", "The service cannot reach its database at the moment; try again later")),
    ),
  );

  app.use("/api/*", apiBodyLimit);
  // The token service (SPEC §6). Its Bearer resource check sits under /api but before the admin
  // API's session/CSRF middleware, which it does not use.
  const devIssuer = deps.env.devIssuer ? devIssuerRoutes(new DevIssuer(deps.env, () => deps.database.db)) : undefined;
  // Every rate limit of this app, on one store (RATE_LIMIT_STORE): shared across instances or not.
  const limits = new RateLimits(deps);
  const token = createTokenServices(deps, limits, devIssuer ? { localIssuer: devIssuer } : {});
  app.route("/api/v1", resourceRoutes(deps, token, limits));
  // Public documentation (SPEC §10), before the admin API's session and CSRF middleware.
  app.route("/api", docsRoutes(deps));

  const routes = app.route("/api", apiRoutes(deps, limits));
  // Token service routes (SPEC §6) are mounted here.
  app.route("/oauth", oauthRoutes(deps, token));
  app.route("/.well-known", wellKnownRoutes(deps, token.keys));
  // The registry token service (SPEC §9).
  app.route("/registry", registryRoutes(deps, token));
  if (devIssuer) app.route("/dev-issuer", devIssuer);

  mountConsole(app, deps);

  app.notFound((c) => c.json(errorBody("not_found", "No such endpoint"), 404));
  app.onError((err, c) =>
    toErrorResponse(
      c,
      err,
      (e) => (c.get("log") ?? deps.log).error({ err: e }, "unhandled error"),
      (e) => (c.get("log") ?? deps.log).warn({ err: e }, "database unavailable: answered 503"),
    ),
  );
  return routes;
}

/** The SPA: hashed assets cached forever, index.html for every other GET outside the APIs. */
function mountConsole(app: Hono<AppEnv>, deps: Deps) {
  const root = consoleDir(deps);
  const indexPath = `${root}/index.html`;
  const reserved = /^\/(api|oauth|registry|\.well-known|dev-issuer|healthz|readyz|metrics)(\/|$)/;
  app.use(
    "/assets/*",
    serveStatic({
      root,
      onFound: (_path, c) => {
        c.header("Cache-Control", "public, max-age=31536000, immutable");
      },
    }),
  );
  app.use("*", async (c, next) => {
    if (reserved.test(c.req.path) || c.req.path.startsWith("/assets/")) return next();
    return serveStatic({ root, onFound: (_p, ctx) => ctx.header("Cache-Control", "no-cache") })(c, next);
  });
  app.get("*", (c) => {
    if (reserved.test(c.req.path) || c.req.path.startsWith("/assets/")) return c.json(errorBody("not_found", "No such endpoint"), 404);
    if (!existsSync(indexPath)) return c.text("The console is not built: run `pnpm build` (or `pnpm start`, which builds it first).", 503);
    c.header("Cache-Control", "no-cache");
    return c.html(readFileSync(indexPath, "utf8"));
  });
}

export type AppType = ReturnType<typeof createApp>;
