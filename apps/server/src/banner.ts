import cluster from "node:cluster";
import { inArray } from "drizzle-orm";
import type { Database } from "./db/client";
import { users } from "./db/schema";
import type { Env } from "./env";
import { DEMO } from "./seed";

/**
 * The start-up banner outside production: where to open the console and how to sign in, in plain
 * words, before the JSON log lines (SPEC §8 "Running it"). Production prints only the JSON logs.
 */

export interface BannerFacts {
  consoleUrl: string;
  database: { kind: "pglite" | "postgres"; dataDir: string };
  devIssuerUrl: string | null;
  /** The demo users that exist in this database (empty: none, sign in with a user made by the CLI). */
  demoUsers: readonly string[];
  /** Where the demo users' password came from. */
  password: { source: "generated"; value: string } | { source: "env" } | { source: "earlier" };
}

const DEMO_ROLES: Record<string, string> = {
  [DEMO.admin]: `owner of ${DEMO.org.slug}`,
  [DEMO.viewer]: `read-only member of ${DEMO.org.slug}`,
  "owner@acme.example": `owner of ${DEMO.otherOrg.slug}`,
};

/** The banner's text: a handful of aligned lines. Pure, for the tests. */
export function renderBanner(f: BannerFacts): string {
  const rows: [string, string][] = [["Console", f.consoleUrl]];
  if (f.demoUsers.length) {
    f.demoUsers.forEach((email, i) => {
      rows.push([i === 0 ? "Sign in as" : "", `${email}${DEMO_ROLES[email] ? ` (${DEMO_ROLES[email]})` : ""}`]);
    });
    rows.push([
      "Password",
      f.password.source === "generated"
        ? `${f.password.value}  (generated now and shown only this once; set ADMIN_PASSWORD to choose it)`
        : f.password.source === "env"
          ? "the value of ADMIN_PASSWORD"
          : "the one set when this database was first started (ADMIN_PASSWORD then, or the generated one printed then)",
    ]);
    if (f.password.source === "earlier" && f.database.kind === "pglite")
      rows.push(["", `forgot it? stop, remove ${f.database.dataDir}, and start again for a fresh demo`]);
  } else {
    rows.push(["Sign in", "with a user made by pnpm cli user:create (and member:add)"]);
  }
  rows.push(["Database", f.database.kind === "pglite" ? `embedded PGlite in ${f.database.dataDir}` : "PostgreSQL (DATABASE_URL)"]);
  if (f.devIssuerUrl) rows.push(["Dev issuer", `${f.devIssuerUrl} (DEV_ISSUER=1: for trying the flow offline)`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  return [
    "",
    "  OIDC Connections is running (development)",
    "",
    ...lines,
    "",
    "  Log lines follow as JSON (the same as in production).",
    "",
  ].join("\n");
}

/** Gathers the facts and prints the banner; nothing in production or under the tests (NODE_ENV=test). Not through the logger: a generated password must not be shipped with the logs. */
export async function printStartupBanner(
  env: Env,
  db: { kind: "pglite" | "postgres"; db: Database },
  port: number,
  seed: { seeded: boolean; generatedPassword?: string },
  out: { write(text: string): unknown } = process.stdout,
): Promise<void> {
  // Cluster workers stay quiet (one banner per start, not one per process).
  if (env.production || env.nodeEnv === "test" || !cluster.isPrimary) return;
  const emails = [DEMO.admin, DEMO.viewer, "owner@acme.example"];
  const found = await db.db.select({ email: users.email }).from(users).where(inArray(users.email, emails));
  const present = new Set(found.map((u) => u.email.toLowerCase()));
  out.write(
    renderBanner({
      consoleUrl: env.publicUrl.replace(/:(\d+)$/, (m, p) => (p === "0" ? `:${port}` : m)),
      database: { kind: db.kind, dataDir: env.dataDir },
      devIssuerUrl: env.devIssuer ? env.devIssuerUrl : null,
      demoUsers: emails.filter((e) => present.has(e)),
      password: seed.generatedPassword
        ? { source: "generated", value: seed.generatedPassword }
        : seed.seeded && env.adminPassword
          ? { source: "env" }
          : { source: "earlier" },
    }),
  );
}
