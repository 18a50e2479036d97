import { OrgEventQuerySchema, UsageQuerySchema, WebhookInputSchema } from "@oidc/shared";
import type { Context } from "hono";
import { Hono } from "hono";
import { requireConnection } from "../connections/service";
import type { AppEnv, Deps } from "../http/context";
import { requireOwner } from "../http/middleware";
import { actorContext, actorOf } from "../http/request-values";
import { jsonBody, query, uuidParam } from "../http/validate";
import { exportStream, listOrgEvents } from "../visibility/org-events";
import { connectionUsage } from "../visibility/usage";
import { deleteWebhook, getWebhook, listDeliveries, putWebhook, queueTestDelivery, rotateWebhookSecret } from "../webhooks/service";

/** SPEC §12: usage, organisation activity (and its export), webhooks. */
export function visibilityRoutes(deps: Deps) {
  const { db } = deps.database;
  const actor = (c: Context<AppEnv>) => actorContext(c, deps.env.trustProxy);
  return new Hono<AppEnv>()
    .get("/orgs/:org/oidc-connections/:id/usage", query(UsageQuerySchema), async (c) => {
      const connection = await requireConnection(db, c.get("org"), uuidParam(c.req.param("id")));
      return c.json(await connectionUsage(db, connection, c.req.valid("query").days), 200);
    })
    .get("/orgs/:org/events", query(OrgEventQuerySchema), async (c) => {
      const org = c.get("org");
      const { limit, cursor, format, ...filter } = c.req.valid("query");
      if (format) {
        const day = new Date().toISOString().slice(0, 10);
        c.header("Content-Type", format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8");
        c.header("Content-Disposition", `attachment; filename="${org.slug}-events-${day}.${format}"`);
        c.header("Cache-Control", "no-store");
        return c.body(exportStream(db, org.id, filter, format), 200);
      }
      return c.json(await listOrgEvents(db, org.id, filter, limit, cursor), 200);
    })
    .get("/orgs/:org/webhook", async (c) => c.json(await getWebhook(db, c.get("org").id), 200))
    .put("/orgs/:org/webhook", requireOwner, jsonBody(WebhookInputSchema), async (c) => {
      const result = await putWebhook(db, deps.env, c.get("org"), actor(c), c.req.valid("json"));
      c.header("Cache-Control", "no-store");
      if (result.created) return c.json({ ...result.webhook, secret: result.secret }, 201);
      return c.json(result.webhook, 200);
    })
    .delete("/orgs/:org/webhook", requireOwner, async (c) => {
      await deleteWebhook(db, c.get("org"), actor(c));
      return c.body(null, 204);
    })
    .post("/orgs/:org/webhook/rotate-secret", requireOwner, async (c) => {
      c.header("Cache-Control", "no-store");
      return c.json(await rotateWebhookSecret(db, deps.env, c.get("org"), actor(c)), 200);
    })
    .post("/orgs/:org/webhook/test", requireOwner, async (c) => {
      return c.json(await queueTestDelivery(db, c.get("org"), actorOf(c)), 202);
    })
    .get("/orgs/:org/webhook/deliveries", async (c) => {
      const org = c.get("org");
      await getWebhook(db, org.id);
      return c.json({ items: await listDeliveries(db, org.id) }, 200);
    });
}
