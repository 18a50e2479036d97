import {
  type Connection,
  type ConnectionSummary,
  checkPolicy,
  GITHUB_ACTIONS_ISSUER,
  lintRulesets,
  type OrgPolicySettings,
  POLICY_RULES,
  type PolicyViolation,
  type Ruleset,
  sortScopes,
} from "@oidc/shared";
import { and, asc, desc, eq, ilike, inArray, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { recordEvent, userIdOf } from "../audit/events";
import type { Database, Executor } from "../db/client";
import { pgConstraint, pgErrorCode } from "../db/client";
import { connections, repositories, rulesets, users } from "../db/schema";
import type { ActorContext, OrgAccess } from "../domain/context";
import { checkVersion, type ExpectedVersion, type Issue, NameTaken, NotFound, ValidationFailed } from "../domain/errors";
import { enforcePolicy, policyContext, policyForWrite } from "../policy/service";

type ConnectionRow = typeof connections.$inferSelect;
type RulesetRow = typeof rulesets.$inferSelect;

export interface RulesetValues {
  id?: string | undefined;
  label: string;
  subject: string;
  conditions: { claim: string; pattern: string }[];
  resources: string[];
  scopes: ("pull" | "push" | "delete")[];
  mode: "enforce" | "audit";
  /** ISO 8601, or null: never expires. */
  expiresAt: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function serialiseRuleset(row: RulesetRow): Ruleset {
  return {
    id: row.id,
    label: row.label,
    subject: row.subject,
    conditions: row.conditions,
    resources: row.resources,
    scopes: sortScopes(row.scopes),
    mode: row.mode,
    expiresAt: iso(row.expiresAt),
    lastUsedAt: iso(row.lastUsedAt),
  };
}

/** Whether any setting judges rulesets (else no connection can break the policy, and nothing need be read). */
const judgesRulesets = (policy: OrgPolicySettings) => POLICY_RULES.some((rule) => policy[rule]);

export function summarise(row: ConnectionRow, rulesetCount: number, policyViolations: PolicyViolation[] = []): ConnectionSummary {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    type: row.type,
    status: row.status,
    rulesetCount,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    lastUsedAt: iso(row.lastUsedAt),
    policyViolations,
  };
}

const creator = alias(users, "creator");
const updater = alias(users, "updater");

function selectConnection(db: Executor) {
  return db
    .select({
      c: connections,
      creator: { id: creator.id, email: creator.email, name: creator.name },
      updater: { id: updater.id, email: updater.email, name: updater.name },
    })
    .from(connections)
    .leftJoin(creator, eq(creator.id, connections.createdBy))
    .leftJoin(updater, eq(updater.id, connections.updatedBy));
}

const LIST_COLUMNS = {
  c: connections,
  // Qualified by hand: inside a sub-select drizzle would render a bare "id", which binds to rulesets.id.
  rulesetCount: sql<number>`(select count(*)::int from "rulesets" r where r."connection_id" = "connections"."id")`,
};

/**
 * The reads behind GET (one connection) and the unfiltered first page of the list, prepared once
 * per database: the hottest admin requests skip drizzle's query building. Writes keep building
 * their queries inside their transaction.
 */
function prepareReads(db: Database) {
  return {
    connection: selectConnection(db)
      .where(and(eq(connections.id, sql.placeholder("id")), eq(connections.orgId, sql.placeholder("orgId"))))
      .limit(1)
      .prepare("connection_by_id"),
    rulesets: db
      .select()
      .from(rulesets)
      .where(eq(rulesets.connectionId, sql.placeholder("id")))
      .orderBy(asc(rulesets.position))
      .prepare("rulesets_of_connection"),
    firstPage: db
      .select(LIST_COLUMNS)
      .from(connections)
      .where(eq(connections.orgId, sql.placeholder("orgId")))
      .orderBy(desc(connections.createdAt), desc(connections.id))
      .limit(sql.placeholder("limit"))
      .prepare("connections_first_page"),
  };
}
const preparedReads = new WeakMap<Executor, ReturnType<typeof prepareReads>>();

/** Prepared reads for the database itself; inside a transaction (not registered) queries are built as usual. */
export function readsFor(db: Database) {
  let reads = preparedReads.get(db);
  if (!reads) {
    reads = prepareReads(db);
    preparedReads.set(db, reads);
  }
  return reads;
}

/** The full connection (SPEC §5 GET), or undefined when it is not in this org. */
export async function loadConnection(db: Executor, org: OrgAccess, id: string): Promise<Connection | undefined> {
  const reads = preparedReads.get(db);
  const [row] = reads
    ? await reads.connection.execute({ id, orgId: org.id })
    : await selectConnection(db)
        .where(and(eq(connections.id, id), eq(connections.orgId, org.id)))
        .limit(1);
  if (!row) return undefined;
  const rs = reads
    ? await reads.rulesets.execute({ id })
    : await db.select().from(rulesets).where(eq(rulesets.connectionId, id)).orderBy(asc(rulesets.position));
  const now = Date.now();
  const list = rs.map(serialiseRuleset);
  const policy = await policyContext(db, org.id);
  return {
    ...summarise(row.c, rs.length, checkPolicy(policy.settings, list, { ownerId: policy.ownerId })),
    org: org.slug,
    issuer: row.c.issuer,
    maxTokenTtlSeconds: row.c.maxTokenTtlSeconds,
    version: row.c.version,
    createdBy: row.creator?.id ? row.creator : null,
    updatedBy: row.updater?.id ? row.updater : null,
    rulesets: list,
    warnings: lintRulesets(list, {}, now),
  };
}

export async function requireConnection(db: Executor, org: OrgAccess, id: string): Promise<Connection> {
  const found = await loadConnection(db, org, id);
  if (!found) throw new NotFound();
  return found;
}

// ----- list -----

export interface ListOptions {
  status?: "active" | "inactive" | undefined;
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [t, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [unknown, unknown];
    const createdAt = new Date(String(t));
    if (typeof id === "string" && /^[0-9a-f-]{36}$/.test(id) && !Number.isNaN(createdAt.getTime())) return { createdAt, id };
  } catch {
    // fall through
  }
  throw new ValidationFailed(
    [{ path: ["cursor"], message: "Not a cursor from a previous page" }],
    "The query string is not valid; see issues",
  );
}

const encodeCursor = (row: ConnectionRow) => Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString("base64url");

/** Newest first, keyset-paginated on (createdAt, id); `q` searches name and description. */
export async function listConnections(db: Executor, orgId: string, options: ListOptions) {
  const filters = [eq(connections.orgId, orgId)];
  if (options.status) filters.push(eq(connections.status, options.status));
  if (options.q) {
    const like = `%${options.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    const search = or(ilike(connections.name, like), ilike(connections.description, like));
    if (search) filters.push(search);
  }
  if (options.cursor) {
    const c = decodeCursor(options.cursor);
    filters.push(sql`(${connections.createdAt}, ${connections.id}) < (${c.createdAt.toISOString()}::timestamptz, ${c.id}::uuid)`);
  }
  const reads = preparedReads.get(db);
  const rows =
    reads && filters.length === 1
      ? await reads.firstPage.execute({ orgId, limit: options.limit + 1 })
      : await db
          .select(LIST_COLUMNS)
          .from(connections)
          .where(and(...filters))
          .orderBy(desc(connections.createdAt), desc(connections.id))
          .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  // Connections saved before the policy changed are flagged (SPEC §11): one more query for the
  // page's rulesets, only when some setting judges rulesets.
  const { settings: policy, ownerId } = await policyContext(db, orgId);
  const byConnection = new Map<string, RulesetRow[]>();
  if (judgesRulesets(policy) && page.length) {
    const rs = await db
      .select()
      .from(rulesets)
      .where(
        inArray(
          rulesets.connectionId,
          page.map((r) => r.c.id),
        ),
      )
      .orderBy(asc(rulesets.connectionId), asc(rulesets.position));
    for (const r of rs) byConnection.set(r.connectionId, [...(byConnection.get(r.connectionId) ?? []), r]);
  }
  return {
    items: page.map((r) =>
      summarise(r.c, Number(r.rulesetCount), checkPolicy(policy, (byConnection.get(r.c.id) ?? []).map(serialiseRuleset), { ownerId })),
    ),
    nextCursor: rows.length > options.limit && last ? encodeCursor(last.c) : null,
  };
}

// ----- writes -----

/**
 * Every resource must be a repository of this org (`issues` point at the offending entries); the
 * list comes back with the org's spelling of each name (`Octo-Org/API` is stored as listed) and
 * scopes in canonical order.
 */
async function resolveResources(db: Executor, org: OrgAccess, list: RulesetValues[]): Promise<RulesetValues[]> {
  const prefix = `${org.slug}/`;
  const names = new Set<string>();
  for (const r of list) for (const res of r.resources) if (res.startsWith(prefix)) names.add(res.slice(prefix.length).toLowerCase());
  const byLower = new Map<string, string>();
  if (names.size) {
    const rows = await db
      .select({ name: repositories.name })
      .from(repositories)
      .where(and(eq(repositories.orgId, org.id), inArray(sql`lower(${repositories.name})`, [...names])));
    for (const row of rows) byLower.set(row.name.toLowerCase(), `${prefix}${row.name}`);
  }
  const issues: Issue[] = [];
  const resolved = list.map((r, i) => {
    // Repository names are case-insensitive: `octo-org/api` and `octo-org/API` are one repository.
    const seen = new Set<string>();
    const resources = r.resources.map((res, j) => {
      const key = res.toLowerCase();
      const canonical = res.startsWith(prefix) ? byLower.get(res.slice(prefix.length).toLowerCase()) : undefined;
      if (!canonical) issues.push({ path: ["rulesets", i, "resources", j], message: `${res} is not a repository of ${org.slug}` });
      else if (seen.has(key)) issues.push({ path: ["rulesets", i, "resources", j], message: "Repository listed twice" });
      seen.add(key);
      return canonical ?? res;
    });
    return { ...r, resources, scopes: sortScopes(r.scopes) };
  });
  if (issues.length) throw new ValidationFailed(issues);
  return resolved;
}

function nameTaken(error: unknown): boolean {
  return pgErrorCode(error) === "23505" && pgConstraint(error) === "connections_org_name_key";
}

const nameTakenError = (name: string) =>
  new NameTaken(`A connection named "${name}" already exists in this organisation; choose another name`, [
    { path: ["name"], message: "This name is already used in this organisation" },
  ]);

async function insertRulesets(tx: Executor, connectionId: string, list: RulesetValues[], previous: Map<string, RulesetRow>) {
  if (!list.length) return;
  await tx.insert(rulesets).values(
    list.map((r, position) => {
      const old = r.id ? previous.get(r.id) : undefined;
      return {
        ...(old ? { id: old.id, createdAt: old.createdAt, lastUsedAt: old.lastUsedAt } : {}),
        connectionId,
        position,
        label: r.label,
        subject: r.subject,
        conditions: r.conditions,
        resources: r.resources,
        scopes: r.scopes,
        mode: r.mode,
        expiresAt: r.expiresAt === null ? null : new Date(r.expiresAt),
      };
    }),
  );
}

/**
 * SPEC §11: an expiry must lie in the future when it is set or changed. A ruleset that keeps its id
 * and its stored expiry may keep a date that has passed since (an edit elsewhere in the connection
 * must not fail because of it); it stays expired.
 */
function checkExpiries(list: RulesetValues[], previous: Map<string, RulesetRow>, now: number) {
  const issues: Issue[] = [];
  list.forEach((r, i) => {
    if (r.expiresAt === null) return;
    const at = Date.parse(r.expiresAt);
    const stored = r.id ? previous.get(r.id)?.expiresAt : undefined;
    if (stored && stored.getTime() === at) return;
    if (!(at > now)) issues.push({ path: ["rulesets", i, "expiresAt"], message: "Choose a time in the future, or leave the expiry empty" });
  });
  if (issues.length) throw new ValidationFailed(issues);
}

export interface CreateInput {
  name: string;
  description: string;
  type: "github-actions";
  issuer?: string | undefined;
  maxTokenTtlSeconds: number;
  rulesets: RulesetValues[];
}

export async function createConnection(
  db: Database,
  org: OrgAccess,
  { actor, ip }: ActorContext,
  input: CreateInput,
  trustedIssuers: readonly string[],
): Promise<Connection> {
  const issuer = (input.issuer ?? GITHUB_ACTIONS_ISSUER).replace(/\/+$/, "");
  if (!trustedIssuers.includes(issuer))
    throw new ValidationFailed([
      { path: ["issuer"], message: `This deployment does not trust ${issuer}; trusted issuers: ${trustedIssuers.join(", ")}` },
    ]);
  const list = await resolveResources(db, org, input.rulesets);
  checkExpiries(list, new Map(), Date.now());
  try {
    return await db.transaction(async (tx) => {
      const { settings, ownerId } = await policyForWrite(tx, org.id);
      enforcePolicy(settings, list, ownerId);
      const [row] = await tx
        .insert(connections)
        .values({
          orgId: org.id,
          name: input.name,
          description: input.description,
          type: input.type,
          issuer,
          maxTokenTtlSeconds: input.maxTokenTtlSeconds,
          createdBy: userIdOf(actor),
          updatedBy: userIdOf(actor),
        })
        .returning();
      if (!row) throw new Error("insert returned nothing");
      await insertRulesets(tx, row.id, list, new Map());
      const created = await requireConnection(tx, org, row.id);
      await recordEvent(tx, {
        orgId: org.id,
        connectionId: row.id,
        type: "connection.created",
        actor,
        outcome: "success",
        ip,
        details: { name: created.name, rulesets: created.rulesets.map(rulesetSnapshot) },
      });
      return created;
    });
  } catch (error) {
    if (nameTaken(error)) throw nameTakenError(input.name);
    throw error;
  }
}

function rulesetSnapshot(r: Ruleset | RulesetValues) {
  return {
    label: r.label,
    subject: r.subject,
    conditions: r.conditions,
    resources: r.resources,
    scopes: r.scopes,
    mode: r.mode,
    expiresAt: r.expiresAt === null ? null : new Date(r.expiresAt).toISOString(),
  };
}

/** 428 without a version when `required`; 412 when the version is not the connection's. */
const checkConnectionVersion = (expected: ExpectedVersion, current: number, required: boolean) =>
  checkVersion(
    expected,
    current,
    required,
    `This connection was changed by someone else (now version ${current}); reload it and apply your edit again`,
    'Send If-Match with the ETag of the version you edited (e.g. If-Match: "3")',
  );

export interface PatchInput {
  name?: string | undefined;
  description?: string | undefined;
  maxTokenTtlSeconds?: number | undefined;
  rulesets?: RulesetValues[] | undefined;
}

/** Locks the row so that concurrent writers queue; compares the version under the lock. */
async function lockConnection(tx: Executor, org: OrgAccess, id: string): Promise<ConnectionRow> {
  const [row] = await tx
    .select()
    .from(connections)
    .where(and(eq(connections.id, id), eq(connections.orgId, org.id)))
    .for("update");
  if (!row) throw new NotFound();
  return row;
}

function diffRulesets(before: RulesetRow[], after: RulesetValues[]) {
  const beforeById = new Map(before.map((r) => [r.id, r]));
  const keptIds = new Set(after.map((r) => r.id).filter(Boolean));
  const added = after.filter((r) => !r.id).map((r) => r.label);
  const removed = before.filter((r) => !keptIds.has(r.id)).map((r) => r.label);
  const changed: { id: string; label: string; before: Record<string, unknown>; after: Record<string, unknown> }[] = [];
  for (const r of after) {
    const old = r.id ? beforeById.get(r.id) : undefined;
    if (!old) continue;
    const b: Record<string, unknown> = {};
    const a: Record<string, unknown> = {};
    const oldSnap = rulesetSnapshot({ ...old, scopes: sortScopes(old.scopes), expiresAt: iso(old.expiresAt) });
    const newSnap = rulesetSnapshot(r);
    for (const key of Object.keys(newSnap) as (keyof typeof newSnap)[]) {
      if (JSON.stringify(oldSnap[key]) !== JSON.stringify(newSnap[key])) {
        b[key] = oldSnap[key];
        a[key] = newSnap[key];
      }
    }
    if (Object.keys(a).length) changed.push({ id: old.id, label: r.label, before: b, after: a });
  }
  const order = JSON.stringify(before.map((r) => r.id)) !== JSON.stringify(after.filter((r) => r.id).map((r) => r.id));
  const reordered = !added.length && !removed.length && order;
  return added.length || removed.length || changed.length || reordered ? { added, removed, changed, reordered } : undefined;
}

export async function patchConnection(
  db: Database,
  org: OrgAccess,
  { actor, ip }: ActorContext,
  id: string,
  input: PatchInput,
  expected: ExpectedVersion,
): Promise<Connection> {
  if (expected === "none") checkConnectionVersion(expected, 0, true);
  const list = input.rulesets && (await resolveResources(db, org, input.rulesets));
  try {
    return await db.transaction(async (tx) => {
      const row = await lockConnection(tx, org, id);
      checkConnectionVersion(expected, row.version, true);
      const { settings, ownerId } = await policyForWrite(tx, org.id);
      const changes: Record<string, { before: unknown; after: unknown }> = {};
      const update: Partial<typeof connections.$inferInsert> = {};
      for (const key of ["name", "description", "maxTokenTtlSeconds"] as const) {
        const value = input[key];
        if (value !== undefined && value !== row[key]) {
          changes[key] = { before: row[key], after: value };
          Object.assign(update, { [key]: value });
        }
      }
      let rulesetChanges: ReturnType<typeof diffRulesets>;
      if (list) {
        const before = await tx.select().from(rulesets).where(eq(rulesets.connectionId, id)).orderBy(asc(rulesets.position));
        const previous = new Map(before.map((r) => [r.id, r]));
        const issues: Issue[] = [];
        list.forEach((r, i) => {
          if (r.id && !previous.has(r.id))
            issues.push({ path: ["rulesets", i, "id"], message: "No such ruleset in this connection; leave id out to add a new one" });
        });
        if (issues.length) throw new ValidationFailed(issues);
        checkExpiries(list, previous, Date.now());
        enforcePolicy(settings, list, ownerId);
        rulesetChanges = diffRulesets(before, list);
        if (rulesetChanges) {
          // Replace the list; kept ids keep their creation time and last use.
          await tx.delete(rulesets).where(eq(rulesets.connectionId, id));
          await insertRulesets(tx, id, list, previous);
        }
      }
      if (!Object.keys(update).length && !rulesetChanges) return requireConnection(tx, org, id);
      await tx
        .update(connections)
        .set({ ...update, version: row.version + 1, updatedAt: new Date(), updatedBy: userIdOf(actor) })
        .where(eq(connections.id, id));
      await recordEvent(tx, {
        orgId: org.id,
        connectionId: id,
        type: "connection.updated",
        actor,
        outcome: "success",
        ip,
        details: { version: row.version + 1, changes: { ...changes, ...(rulesetChanges ? { rulesets: rulesetChanges } : {}) } },
      });
      return requireConnection(tx, org, id);
    });
  } catch (error) {
    if (nameTaken(error)) throw nameTakenError(input.name ?? "");
    throw error;
  }
}

/** Idempotent: the same status again changes nothing and writes no event. */
export async function setStatus(
  db: Database,
  org: OrgAccess,
  { actor, ip }: ActorContext,
  id: string,
  status: "active" | "inactive",
  expected: ExpectedVersion,
): Promise<Connection> {
  return db.transaction(async (tx) => {
    const row = await lockConnection(tx, org, id);
    checkConnectionVersion(expected, row.version, false);
    if (row.status !== status) {
      const now = new Date();
      await tx
        .update(connections)
        .set({
          status,
          version: row.version + 1,
          updatedAt: now,
          updatedBy: userIdOf(actor),
          // Deactivation revokes every access token issued so far (SPEC §6.4); re-activation moves the
          // mark to its own time, so tokens recorded before the deactivation committed stay revoked
          // and tokens issued from now on (iat_ms ≥ this) work at once.
          tokensValidAfter: now,
        })
        .where(eq(connections.id, id));
      await recordEvent(tx, {
        orgId: org.id,
        connectionId: id,
        type: status === "inactive" ? "connection.deactivated" : "connection.activated",
        actor,
        outcome: "success",
        ip,
        details: { version: row.version + 1 },
      });
    }
    return requireConnection(tx, org, id);
  });
}

export async function deleteConnection(
  db: Database,
  org: OrgAccess,
  { actor, ip }: ActorContext,
  id: string,
  expected: ExpectedVersion,
): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await lockConnection(tx, org, id);
    checkConnectionVersion(expected, row.version, false);
    await tx.delete(connections).where(eq(connections.id, id));
    await recordEvent(tx, {
      orgId: org.id,
      connectionId: id,
      type: "connection.deleted",
      actor,
      outcome: "success",
      ip,
      details: { name: row.name, version: row.version },
    });
  });
}
