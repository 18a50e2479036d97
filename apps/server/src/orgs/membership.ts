import { and, eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { memberships, organizations } from "../db/schema";
import type { OrgAccess } from "../domain/context";

/** The org `slug` with the user's role in it, or undefined when it does not exist or they are not a member. */
export async function findMembership(db: Database, userId: string, slug: string): Promise<OrgAccess | undefined> {
  const [row] = await db
    .select({ id: organizations.id, slug: organizations.slug, name: organizations.name, role: memberships.role })
    .from(organizations)
    .innerJoin(memberships, and(eq(memberships.orgId, organizations.id), eq(memberships.userId, userId)))
    .where(eq(organizations.slug, slug))
    .limit(1);
  return row;
}
