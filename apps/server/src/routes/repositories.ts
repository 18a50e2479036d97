import type { Repository } from "@oidc/shared";
import { asc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { repositories } from "../db/schema";
import type { AppEnv, Deps } from "../http/context";

export function repositoryRoutes(deps: Deps) {
  const { db } = deps.database;
  return new Hono<AppEnv>().get("/orgs/:org/repositories", async (c) => {
    const org = c.get("org");
    const rows = await db
      .select({ id: repositories.id, name: repositories.name })
      .from(repositories)
      .where(eq(repositories.orgId, org.id))
      .orderBy(asc(repositories.name));
    const items: Repository[] = rows.map((r) => ({ ...r, fullName: `${org.slug}/${r.name}` }));
    return c.json({ items }, 200);
  });
}
