import type { ConsoleConfig } from "@oidc/shared";
import { Hono } from "hono";
import type { AppEnv, Deps } from "../http/context";
import { requireUser } from "../http/middleware";

/**
 * `GET /api/config`: the deployment facts the console shows to signed-in users — the registry's
 * `service` (SPEC §9), which the workflow snippet logs in to. An explicit whitelist: nothing else.
 */
export function configRoutes(deps: Deps) {
  return new Hono<AppEnv>().get("/config", requireUser, (c) => {
    c.header("Cache-Control", "private, max-age=300");
    const config: ConsoleConfig = { registryService: deps.env.registryService };
    return c.json(config, 200);
  });
}
