import type { Me } from "@oidc/shared";
import { asc, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { memberships, organizations, users } from "../db/schema";
import { decoyHash, verifyPassword } from "./password";

/** `GET /api/me`: the user and their memberships, orgs by name; undefined when the user is gone. */
export async function loadMe(db: Database, userId: string): Promise<Me | undefined> {
  const [user] = await db.select({ id: users.id, email: users.email, name: users.name }).from(users).where(eq(users.id, userId));
  if (!user) return undefined;
  const rows = await db
    .select({ org: organizations, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(organizations.name));
  return {
    user,
    memberships: rows.map(({ org, role }) => ({
      org: { id: org.id, slug: org.slug, name: org.name, githubOwner: org.githubOwner, githubOwnerId: org.githubOwnerId },
      role,
    })),
  };
}

/**
 * The id of the user with this email (any case) and password, or undefined. The same work for an
 * unknown email and a wrong password (a decoy hash is verified), so timing tells them apart no more
 * than the answer does (SPEC §5).
 */
export async function authenticate(db: Database, email: string, password: string): Promise<string | undefined> {
  const [user] = await db
    .select({ id: users.id, hash: users.passwordHash })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()))
    .limit(1);
  const ok = await verifyPassword(password, user?.hash ?? (await decoyHash()));
  return user && ok ? user.id : undefined;
}
