import type { Repository } from "@oidc/shared";
import { asc, eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { repositories } from "../db/schema";
import type { OrgAccess } from "../domain/context";

/** The org's repositories by name: what a ruleset may name as a resource. */
export async function listRepositories(db: Database, org: OrgAccess): Promise<Repository[]> {
  const rows = await db
    .select({ id: repositories.id, name: repositories.name })
    .from(repositories)
    .where(eq(repositories.orgId, org.id))
    .orderBy(asc(repositories.name));
  return rows.map((r) => ({ ...r, fullName: `${org.slug}/${r.name}` }));
}
