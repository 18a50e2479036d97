import { randomBytes } from "node:crypto";
import { count } from "drizzle-orm";
import type { Logger } from "pino";
import { hashPassword } from "./auth/password";
import type { Database, Executor } from "./db/client";
import { memberships, organizations, repositories, users } from "./db/schema";
import type { Env } from "./env";

export const DEMO = {
  admin: "admin@example.com",
  viewer: "viewer@example.com",
  org: { slug: "octo-org", name: "Octo Org", githubOwner: "octo-org", githubOwnerId: "1234567" },
  repos: ["api", "web", "worker", "base-images", "docs"],
  otherOrg: { slug: "acme", name: "Acme Corp", githubOwner: "acme", githubOwnerId: "7654321" },
  otherRepos: ["billing", "storefront"],
} as const;

export async function createOrg(
  db: Executor,
  org: { slug: string; name: string; githubOwner?: string | null; githubOwnerId?: string | null },
) {
  const [row] = await db.insert(organizations).values(org).returning();
  if (!row) throw new Error("insert returned nothing");
  return row;
}

export async function createUser(db: Executor, user: { email: string; name: string; password: string }) {
  const [row] = await db
    .insert(users)
    .values({ email: user.email, name: user.name, passwordHash: await hashPassword(user.password) })
    .returning({ id: users.id, email: users.email, name: users.name });
  if (!row) throw new Error("insert returned nothing");
  return row;
}

export async function addRepositories(db: Executor, orgId: string, names: readonly string[]) {
  if (names.length) await db.insert(repositories).values(names.map((name) => ({ orgId, name })));
}

/**
 * The demo data of SPEC §8, only on an empty, non-production database. Returns the password it
 * used when it generated one (printed once by the caller), or nothing when it seeded nothing.
 */
export async function seedDemo(db: Database, env: Env, log: Logger): Promise<{ seeded: boolean; generatedPassword?: string }> {
  if (env.production) return { seeded: false };
  const [row] = await db.select({ n: count() }).from(organizations);
  if ((row?.n ?? 0) > 0) return { seeded: false };
  const generatedPassword = env.adminPassword ? undefined : randomBytes(12).toString("base64url");
  const password = env.adminPassword ?? (generatedPassword as string);
  await db.transaction(async (tx) => {
    const octo = await createOrg(tx, DEMO.org);
    const acme = await createOrg(tx, DEMO.otherOrg);
    await addRepositories(tx, octo.id, DEMO.repos);
    await addRepositories(tx, acme.id, DEMO.otherRepos);
    const [admin, viewer, acmeOwner] = await Promise.all([
      createUser(tx, { email: DEMO.admin, name: "Ada Admin", password }),
      createUser(tx, { email: DEMO.viewer, name: "Vic Viewer", password }),
      createUser(tx, { email: "owner@acme.example", name: "Acme Owner", password }),
    ]);
    await tx.insert(memberships).values([
      { orgId: octo.id, userId: admin.id, role: "owner" },
      { orgId: octo.id, userId: viewer.id, role: "member" },
      { orgId: acme.id, userId: acmeOwner.id, role: "owner" },
    ]);
  });
  log.info({ orgs: [DEMO.org.slug, DEMO.otherOrg.slug], users: [DEMO.admin, DEMO.viewer, "owner@acme.example"] }, "seeded demo data");
  return generatedPassword ? { seeded: true, generatedPassword } : { seeded: true };
}
