import { Hono } from "hono";
import type { AppEnv, Deps } from "../http/context";
import { listRepositories } from "../repositories/service";

export function repositoryRoutes(deps: Deps) {
  const { db } = deps.database;
  return new Hono<AppEnv>().get("/orgs/:org/repositories", async (c) => {
    return c.json({ items: await listRepositories(db, c.get("org")) }, 200);
  });
}
