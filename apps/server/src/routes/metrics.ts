import { createHash, timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import type { MetricsConfig } from "../env";
import type { AppEnv } from "../http/context";
import { errorBody } from "../http/errors";
import { bearerToken } from "../http/middleware";
import { metricsText } from "../metrics";

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * `GET /metrics` on the public port (docs/operations.md): open (outside production only), or with
 * `Authorization: Bearer <METRICS_TOKEN>`; a missing or wrong token is a 401. Not mounted at all
 * when the public port does not serve metrics (an unknown path then: 404).
 */
export function publicMetricsRoutes(config: MetricsConfig) {
  const expected = config.token ? digest(config.token) : undefined;
  return new Hono<AppEnv>().get("/metrics", async (c) => {
    if (expected) {
      const given = bearerToken(c);
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        c.header("WWW-Authenticate", 'Bearer realm="metrics"');
        return c.json(errorBody("unauthenticated", "Send the metrics token: Authorization: Bearer <METRICS_TOKEN>"), 401);
      }
    }
    const { body, contentType } = await metricsText();
    c.header("Cache-Control", "no-store");
    return c.body(body, 200, { "Content-Type": contentType });
  });
}

/** The METRICS_PORT listener's app: `/metrics` from `scrape` (this process, or the cluster's aggregate), nothing else. */
export function privateMetricsApp(scrape: () => Promise<{ body: string; contentType: string }>, onError: (err: unknown) => void) {
  const app = new Hono().get("/metrics", async (c) => {
    const { body, contentType } = await scrape();
    return c.body(body, 200, { "Content-Type": contentType, "Cache-Control": "no-store" });
  });
  app.notFound((c) => c.json(errorBody("not_found", "No such endpoint; metrics are at /metrics"), 404));
  // A worker that does not answer the primary in time (prom-client waits 5 s): no partial numbers.
  app.onError((err, c) => {
    onError(err);
    return c.json(errorBody("service_unavailable", "The metrics cannot be collected at the moment; try again"), 503);
  });
  return app;
}
