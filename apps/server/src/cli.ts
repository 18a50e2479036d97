/**
 * Administration for real deployments (SPEC §8): organisations, users, memberships, repositories.
 *   pnpm cli org:create --slug octo-org --name "Octo Org" [--github-owner octo-org --github-owner-id 123]
 *   pnpm cli user:create --email ada@example.com --name "Ada" (password from --password-stdin or CLI_PASSWORD)
 *   pnpm cli member:add --org octo-org --email ada@example.com --role owner|member
 *   pnpm cli member:remove --org octo-org --email ada@example.com
 *   pnpm cli repo:add --org octo-org --name api [--name web …]
 *   pnpm cli list
 *   pnpm cli keys:rotate   (new access-token signing key; the old one stays published until its tokens expire)
 *   pnpm cli keys:rewrap   (re-seals every private key under the current KEY_ENCRYPTION_KEY)
 */
import { parseArgs } from "node:util";
import { DisplayNameSchema, GithubLoginSchema, OrgSlugSchema, RepositoryNameSchema, RoleSchema } from "@oidc/shared";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { type DatabaseHandle, openDatabase, pgErrorCode } from "./db/client";
import { DatabaseLockedError } from "./db/lock";
import { memberships, organizations, repositories, sessions, users } from "./db/schema";
import { type Env, EnvError, parseEnv } from "./env";
import { type Keyring, KeyVaultError, keyringOf } from "./keys/vault";
import { registryCaName } from "./registry/service";
import { addRepositories, createOrg, createUser } from "./seed";
import { ensureRegistryCa, RETIRED_KEY_PUBLISH_SECONDS, rewrapSigningKeys, rotateSigningKey } from "./token/keys";
import { rewrapWebhookSecrets } from "./webhooks/service";

export class CliError extends Error {}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

function need<T>(schema: z.ZodType<T>, value: unknown, flag: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CliError(`--${flag}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

async function orgBySlug(h: DatabaseHandle, slug: string) {
  const [org] = await h.db.select().from(organizations).where(eq(organizations.slug, slug));
  if (!org) throw new CliError(`No organisation ${slug}`);
  return org;
}

async function userByEmail(h: DatabaseHandle, email: string) {
  const [user] = await h.db
    .select()
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()));
  if (!user) throw new CliError(`No user ${email}`);
  return user;
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    options: {
      slug: { type: "string" },
      name: { type: "string", multiple: true },
      "github-owner": { type: "string" },
      "github-owner-id": { type: "string" },
      email: { type: "string" },
      org: { type: "string" },
      role: { type: "string" },
      "password-stdin": { type: "boolean" },
    },
    strict: true,
  });
}

/**
 * Runs one command; output goes to `print`. Exported for tests. `keyring` gives the key-encryption
 * keys (asked only by the commands that read private keys); `env` the configuration (registry:ca).
 */
export async function runCli(
  h: DatabaseHandle,
  argv: string[],
  print: (line: string) => void,
  stdinPassword?: () => Promise<string>,
  keyring?: () => Keyring,
  env?: Env,
) {
  const keys = () => {
    if (!keyring) throw new CliError("this command needs the key-encryption key (KEY_ENCRYPTION_KEY)");
    return keyring();
  };
  const [command, ...rest] = argv;
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(rest);
  } catch (error) {
    // An unknown or malformed option is the caller's mistake: say so plainly.
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  const name = values.name?.[0];
  try {
    switch (command) {
      case "org:create": {
        const org = await createOrg(h.db, {
          slug: need(OrgSlugSchema, values.slug, "slug"),
          name: need(DisplayNameSchema, name, "name"),
          githubOwner: values["github-owner"] ? need(GithubLoginSchema, values["github-owner"], "github-owner") : null,
          githubOwnerId: values["github-owner-id"]
            ? need(z.string().regex(/^\d{1,20}$/, "digits only"), values["github-owner-id"], "github-owner-id")
            : null,
        });
        print(`created organisation ${org.slug} (${org.id})`);
        return;
      }
      case "user:create": {
        const email = need(z.string().trim().email(), values.email, "email");
        const password = values["password-stdin"] ? await (stdinPassword ?? readStdin)() : process.env.CLI_PASSWORD;
        if (!password || password.length < 8)
          throw new CliError("Give a password of at least 8 characters with --password-stdin or CLI_PASSWORD");
        const user = await createUser(h.db, { email, name: need(DisplayNameSchema, name, "name"), password });
        print(`created user ${user.email} (${user.id})`);
        return;
      }
      case "member:add": {
        const org = await orgBySlug(h, need(OrgSlugSchema, values.org, "org"));
        const user = await userByEmail(h, need(z.string().min(1), values.email, "email"));
        const role = need(RoleSchema, values.role, "role");
        await h.db
          .insert(memberships)
          .values({ orgId: org.id, userId: user.id, role })
          .onConflictDoUpdate({ target: [memberships.orgId, memberships.userId], set: { role } });
        print(`${user.email} is ${role} of ${org.slug}`);
        return;
      }
      case "member:remove": {
        const org = await orgBySlug(h, need(OrgSlugSchema, values.org, "org"));
        const user = await userByEmail(h, need(z.string().min(1), values.email, "email"));
        await h.db.transaction(async (tx) => {
          const removed = await tx
            .delete(memberships)
            .where(and(eq(memberships.orgId, org.id), eq(memberships.userId, user.id)))
            .returning({ userId: memberships.userId });
          if (!removed.length) throw new CliError(`${user.email} is not a member of ${org.slug}`);
          // Sessions die with the membership (SPEC §5).
          await tx.delete(sessions).where(eq(sessions.userId, user.id));
        });
        print(`${user.email} is no longer a member of ${org.slug}`);
        return;
      }
      case "repo:add": {
        const org = await orgBySlug(h, need(OrgSlugSchema, values.org, "org"));
        const names = (values.name ?? []).map((n) => need(RepositoryNameSchema, n, "name"));
        if (!names.length) throw new CliError("Give at least one --name");
        await addRepositories(h.db, org.id, names);
        print(`added ${names.map((n) => `${org.slug}/${n}`).join(", ")}`);
        return;
      }
      case "list": {
        const orgs = await h.db.select().from(organizations).orderBy(organizations.slug);
        for (const org of orgs) {
          const repos = await h.db.select({ name: repositories.name }).from(repositories).where(eq(repositories.orgId, org.id));
          const members = await h.db
            .select({ email: users.email, role: memberships.role })
            .from(memberships)
            .innerJoin(users, eq(users.id, memberships.userId))
            .where(eq(memberships.orgId, org.id));
          print(`${org.slug}  ${org.name}`);
          print(`  repositories: ${repos.map((r) => r.name).join(", ") || "(none)"}`);
          print(`  members: ${members.map((m) => `${m.email} (${m.role})`).join(", ") || "(none)"}`);
        }
        return;
      }
      case "keys:rotate": {
        const { kid, retired } = await rotateSigningKey(h.db, keys());
        print(`new signing key ${kid}; running servers pick it up within a minute`);
        if (retired.length)
          print(
            `retired ${retired.join(", ")}: still published for ${RETIRED_KEY_PUBLISH_SECONDS} s, until the tokens it signed have expired`,
          );
        return;
      }
      case "keys:rewrap": {
        const keyring = keys();
        const { total, rewrapped } = await rewrapSigningKeys(h.db, keyring);
        print(
          `re-sealed ${rewrapped.length} of ${total} private keys under key-encryption key "${keyring.current.id}"` +
            (rewrapped.length < total ? ` (${total - rewrapped.length} already were)` : ""),
        );
        const hooks = await rewrapWebhookSecrets(h.db, keyring);
        if (hooks.total) print(`re-sealed ${hooks.rewrapped} of ${hooks.total} webhook secrets`);
        if (keyring.old.length)
          print(
            `once every server runs with KEY_ENCRYPTION_KEY "${keyring.current.id}", KEY_ENCRYPTION_KEYS_OLD (${keyring.old.map((k) => `"${k.id}"`).join(", ")}) can be removed`,
          );
        return;
      }
      case "registry:ca": {
        // The same certificate as GET /registry/ca.pem: the registry's `rootcertbundle` (SPEC §9).
        const ca = await ensureRegistryCa(h.db, registryCaName(env ?? parseEnv()), keys());
        print(ca.certificate.trimEnd());
        return;
      }
      default:
        throw new CliError(
          `Unknown command ${command ?? "(none)"}. Commands: org:create, user:create, member:add, member:remove, repo:add, list, keys:rotate, keys:rewrap, registry:ca`,
        );
    }
  } catch (error) {
    if (pgErrorCode(error) === "23505") throw new CliError("That already exists");
    throw error;
  }
}

async function main() {
  const env = parseEnv();
  const h = await openDatabase({ databaseUrl: env.databaseUrl, dataDir: env.dataDir, poolSize: 2 });
  try {
    await h.migrate();
    await runCli(
      h,
      process.argv.slice(2),
      (line) => process.stdout.write(`${line}\n`),
      undefined,
      () => keyringOf(env),
      env,
    );
  } finally {
    await h.close();
  }
}

if (process.argv[1] && /cli\.(ts|js)$/.test(process.argv[1])) {
  main().catch((error) => {
    const plain =
      error instanceof EnvError || error instanceof CliError || error instanceof KeyVaultError || error instanceof DatabaseLockedError;
    process.stderr.write(`${plain ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
