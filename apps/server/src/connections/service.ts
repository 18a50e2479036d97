import {
  type Connection,
  type ConnectionCreateValues,
  type ConnectionListOptions,
  type ConnectionPatchValues,
  type ConnectionStatus,
  type ConnectionSummary,
  checkPolicy,
  DEFAULT_POLICY,
  type EventDetails,
  GITHUB_ACTIONS_ISSUER,
  lintRulesets,
  type OrgPolicySettings,
  POLICY_RULES,
  type Ruleset,
  type RulesetSnapshot,
  type RulesetValues,
  ruleOf,
  sortScopes,
} from "@oidc/shared";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { recordEvent, userIdOf } from "../audit/events";
import {
  AdminReads,
  type ConnectionPageRow,
  type ConnectionRow as ConnectionReadRow,
  type PageValues,
  type PolicyOut,
  type RulesetOut,
  readConnectionIn,
} from "../db/admin-reads";
import type { Database, Executor } from "../db/client";
import { pgConstraint, pgErrorCode } from "../db/client";
import { connections, repositories, rulesets } from "../db/schema";
import type { ActorContext, OrgAccess } from "../domain/context";
import { checkVersion, type ExpectedVersion, type Issue, NameTaken, NotFound, ValidationFailed } from "../domain/errors";
import { enforcePolicy, policyForWrite } from "../policy/service";

type ConnectionRow = typeof connections.$inferSelect;
type RulesetRow = typeof rulesets.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Whether any setting judges rulesets (else no connection can break the policy, and nothing need be read). */
const judgesRulesets = (policy: OrgPolicySettings) => POLICY_RULES.some((rule) => policy[rule]);

function fromRulesetOut(r: RulesetOut): Ruleset {
  return { ...r, scopes: sortScopes(r.scopes) };
}

const settingsOf = (policy: PolicyOut | null): OrgPolicySettings => policy ?? { ...DEFAULT_POLICY };

function summaryOf(row: ConnectionPageRow | ConnectionReadRow, rulesetList: Ruleset[] | null): ConnectionSummary {
  const policy = settingsOf(row.policy);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    type: row.type,
    status: row.status,
    rulesetCount: row.rulesetCount,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lastUsedAt: row.lastUsedAt,
    // Connections saved before the policy changed are flagged (SPEC §11); the statement brings the
    // rulesets only when some setting judges them.
    policyViolations: rulesetList && judgesRulesets(policy) ? checkPolicy(policy, rulesetList, { ownerId: row.ownerId }) : [],
  };
}

/**
 * Where the connection reads run: the prepared statements on the database (`AdminReads`, the
 * routes), or a write's open transaction (the same statement through drizzle).
 */
export type ReadSource = AdminReads | Executor;

/** The full connection (SPEC §5 GET), or undefined when it is not in this org: one statement. */
export async function loadConnection(source: ReadSource, org: OrgAccess, id: string): Promise<Connection | undefined> {
  const row = source instanceof AdminReads ? await source.connection(org.id, id) : await readConnectionIn(source, org.id, id);
  return row ? connectionOf(org, row) : undefined;
}

/** GET's answer from its statement's row. */
export function connectionOf(org: OrgAccess, row: ConnectionReadRow): Connection {
  const list = row.rulesets.map(fromRulesetOut);
  // Object.assign, not `{ ...summary, org, … }`: on V8 (Node 20) every property that a literal adds
  // after a spread costs ≈ 0.7 µs (its map transition is not cached) — 7 µs of each GET here, with
  // the garbage (docs/performance.md, "Admin: the floor").
  return Object.assign(summaryOf(row, list), {
    org: org.slug,
    issuer: row.issuer,
    maxTokenTtlSeconds: row.maxTokenTtlSeconds,
    version: row.version,
    createdBy: row.createdBy,
    updatedBy: row.updatedBy,
    rulesets: list,
    warnings: lintRulesets(list, {}, Date.now()),
  });
}

export async function requireConnection(source: ReadSource, org: OrgAccess, id: string): Promise<Connection> {
  const found = await loadConnection(source, org, id);
  if (!found) throw new NotFound();
  return found;
}

// ----- list -----

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

const encodeCursor = (row: ConnectionPageRow) => Buffer.from(JSON.stringify([row.createdAt, row.id])).toString("base64url");

/** Newest first, keyset-paginated on (createdAt, id); `q` searches name and description. One statement. */
export async function listConnections(reads: AdminReads, orgId: string, options: ConnectionListOptions) {
  return pageOf(await reads.connectionPage({ orgId, ...pageValues(options) }), options);
}

/** What a page's statement binds for these options (one more row than the limit: is there a next page?). */
export function pageValues(options: ConnectionListOptions): PageValues {
  const cursor = options.cursor ? decodeCursor(options.cursor) : undefined;
  return {
    limit: options.limit + 1,
    status: options.status,
    like: options.q ? `%${options.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : undefined,
    cursorAt: cursor?.createdAt.toISOString(),
    cursorId: cursor?.id,
  };
}

/** The list's answer from its statement's rows. */
export function pageOf(rows: ConnectionPageRow[], options: ConnectionListOptions) {
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => summaryOf(r, r.rulesets?.map(fromRulesetOut) ?? null)),
    nextCursor: rows.length > options.limit && last ? encodeCursor(last) : null,
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
        ...ruleOf(r),
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

export async function createConnection(
  db: Database,
  org: OrgAccess,
  { actor, ip }: ActorContext,
  input: ConnectionCreateValues,
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

function rulesetSnapshot(r: Ruleset | RulesetValues): RulesetSnapshot {
  return {
    ...ruleOf(r),
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
  const changed: NonNullable<EventDetails<"connection.updated">["changes"]["rulesets"]>["changed"] = [];
  const copy = <K extends keyof RulesetSnapshot>(key: K, from: RulesetSnapshot, to: Partial<RulesetSnapshot>) => {
    to[key] = from[key];
  };
  for (const r of after) {
    const old = r.id ? beforeById.get(r.id) : undefined;
    if (!old) continue;
    const b: Partial<RulesetSnapshot> = {};
    const a: Partial<RulesetSnapshot> = {};
    const oldSnap = rulesetSnapshot({ ...old, scopes: sortScopes(old.scopes), expiresAt: iso(old.expiresAt) });
    const newSnap = rulesetSnapshot(r);
    for (const key of Object.keys(newSnap) as (keyof RulesetSnapshot)[]) {
      if (JSON.stringify(oldSnap[key]) !== JSON.stringify(newSnap[key])) {
        copy(key, oldSnap, b);
        copy(key, newSnap, a);
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
  input: ConnectionPatchValues,
  expected: ExpectedVersion,
): Promise<Connection> {
  if (expected === "none") checkConnectionVersion(expected, 0, true);
  const list = input.rulesets && (await resolveResources(db, org, input.rulesets));
  try {
    return await db.transaction(async (tx) => {
      const row = await lockConnection(tx, org, id);
      checkConnectionVersion(expected, row.version, true);
      const { settings, ownerId } = await policyForWrite(tx, org.id);
      const changes: EventDetails<"connection.updated">["changes"] = {};
      const update: Partial<typeof connections.$inferInsert> = {};
      if (input.name !== undefined && input.name !== row.name) {
        changes.name = { before: row.name, after: input.name };
        update.name = input.name;
      }
      if (input.description !== undefined && input.description !== row.description) {
        changes.description = { before: row.description, after: input.description };
        update.description = input.description;
      }
      if (input.maxTokenTtlSeconds !== undefined && input.maxTokenTtlSeconds !== row.maxTokenTtlSeconds) {
        changes.maxTokenTtlSeconds = { before: row.maxTokenTtlSeconds, after: input.maxTokenTtlSeconds };
        update.maxTokenTtlSeconds = input.maxTokenTtlSeconds;
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
  status: ConnectionStatus,
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
