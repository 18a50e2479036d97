import {
  checkPolicy,
  DEFAULT_POLICY,
  type EventDetails,
  type OrgPolicy,
  type OrgPolicySettings,
  type PolicyDryRun,
  type RulesetRule,
  ruleOf,
} from "@oidc/shared";
import { asc, eq } from "drizzle-orm";
import { recordEvent, userIdOf } from "../audit/events";
import type { Database, Executor } from "../db/client";
import { connections, organizations, orgPolicies, rulesetRuleColumns, rulesets, users } from "../db/schema";
import type { ActorContext, OrgAccess } from "../domain/context";
import { checkVersion, type ExpectedVersion, NotFound, PolicyViolation } from "../domain/errors";

type PolicyRow = typeof orgPolicies.$inferSelect;

const settingsOf = (row: PolicyRow | undefined): OrgPolicySettings =>
  row
    ? {
        requireImmutableSubjects: row.requireImmutableSubjects,
        requireGateForWrites: row.requireGateForWrites,
        forbidPullRequestWrites: row.forbidPullRequestWrites,
        maxTokenTtlSeconds: row.maxTokenTtlSeconds,
      }
    : { ...DEFAULT_POLICY };

/** The org's policy settings (the defaults when none was ever saved). */
export async function policySettings(db: Executor, orgId: string): Promise<OrgPolicySettings> {
  const [row] = await db.select().from(orgPolicies).where(eq(orgPolicies.orgId, orgId)).limit(1);
  return settingsOf(row);
}

/** The org's policy settings and its GitHub owner's ID (for advice that names it), in one read. */
export async function policyContext(db: Executor, orgId: string): Promise<{ settings: OrgPolicySettings; ownerId: string | null }> {
  const [row] = await db
    .select({ p: orgPolicies, ownerId: organizations.githubOwnerId })
    .from(organizations)
    .leftJoin(orgPolicies, eq(orgPolicies.orgId, organizations.id))
    .where(eq(organizations.id, orgId))
    .limit(1);
  return { settings: settingsOf(row?.p ?? undefined), ownerId: row?.ownerId ?? null };
}

/** `GET /api/orgs/:org/policy`: settings, version (0 = never saved) and the last change. */
export async function getPolicy(db: Executor, orgId: string): Promise<OrgPolicy> {
  const [found] = await db
    .select({ p: orgPolicies, user: { id: users.id, email: users.email, name: users.name } })
    .from(orgPolicies)
    .leftJoin(users, eq(users.id, orgPolicies.updatedBy))
    .where(eq(orgPolicies.orgId, orgId))
    .limit(1);
  return {
    ...settingsOf(found?.p),
    version: found?.p.version ?? 0,
    updatedAt: found ? found.p.updatedAt.toISOString() : null,
    updatedBy: found?.user?.id ? found.user : null,
  };
}

/**
 * Inside a connection write's transaction: the policy as of now, held until commit. The
 * organisation's row is locked FOR SHARE (connection writes do not block each other), and a policy
 * change locks it FOR NO KEY UPDATE, so the two are serialised: a connection is always judged by the
 * policy that is in force when it commits (SPEC §11; the org row exists even when no policy was saved).
 */
export async function policyForWrite(tx: Executor, orgId: string): Promise<{ settings: OrgPolicySettings; ownerId: string | null }> {
  const [org] = await tx
    .select({ ownerId: organizations.githubOwnerId })
    .from(organizations)
    .where(eq(organizations.id, orgId))
    .for("share");
  if (!org) throw new NotFound();
  return { settings: await policySettings(tx, orgId), ownerId: org.ownerId };
}

/** 400 `policy_violation` when these rulesets break the policy, `issues` at each ruleset's field. */
export function enforcePolicy(settings: OrgPolicySettings, rulesets: readonly RulesetRule[], ownerId: string | null) {
  const violations = checkPolicy(settings, rulesets, { ownerId });
  if (!violations.length) return;
  throw new PolicyViolation(violations.map(({ path, message }) => ({ path, message })));
}

const checkPolicyVersion = (expected: ExpectedVersion, current: number) =>
  checkVersion(
    expected,
    current,
    true,
    `The policy was changed by someone else (now version ${current}); reload it and apply your edit again`,
    `Send If-Match with the ETag of the policy you edited (e.g. If-Match: "${current}")`,
  );

/**
 * `PUT /api/orgs/:org/policy`: replaces the settings when `If-Match` names the current version,
 * writes `policy.updated` (org-level, before/after of what changed) in the same transaction. The
 * same settings again change nothing and write no event. Listeners (the token service's cache) learn
 * of the change after commit.
 */
export async function putPolicy(
  db: Database,
  org: OrgAccess,
  { actor, ip }: ActorContext,
  input: OrgPolicySettings,
  expected: ExpectedVersion,
): Promise<OrgPolicy> {
  const changed = await db.transaction(async (tx) => {
    await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, org.id)).for("no key update");
    const [row] = await tx.select().from(orgPolicies).where(eq(orgPolicies.orgId, org.id)).limit(1);
    const version = row?.version ?? 0;
    checkPolicyVersion(expected, version);
    const before = settingsOf(row);
    const changes: EventDetails<"policy.updated">["changes"] = {};
    for (const key of Object.keys(before) as (keyof OrgPolicySettings)[])
      if (before[key] !== input[key]) changes[key] = { before: before[key], after: input[key] };
    if (!Object.keys(changes).length) return false;
    const values = { ...input, version: version + 1, updatedAt: new Date(), updatedBy: userIdOf(actor) };
    if (row) await tx.update(orgPolicies).set(values).where(eq(orgPolicies.orgId, org.id));
    else await tx.insert(orgPolicies).values({ orgId: org.id, ...values });
    await recordEvent(tx, {
      orgId: org.id,
      connectionId: null,
      type: "policy.updated",
      actor,
      outcome: "success",
      ip,
      details: { version: version + 1, before, after: input, changes },
    });
    return true;
  });
  if (changed) for (const listener of policyListeners) listener(org.id);
  return getPolicy(db, org.id);
}

/** Called with the org's id after its policy changed (committed): the token service drops cached configurations. */
const policyListeners = new Set<(orgId: string) => void>();
export function onPolicyChange(listener: (orgId: string) => void): () => void {
  policyListeners.add(listener);
  return () => policyListeners.delete(listener);
}

/**
 * What `settings` would flag among the org's connections, before they are saved (the console's Policy
 * page): one read of the org's connections and rulesets, judged with the shared checks.
 */
export async function dryRunPolicy(db: Executor, orgId: string, settings: OrgPolicySettings): Promise<PolicyDryRun> {
  const rows = await db
    .select({
      id: connections.id,
      name: connections.name,
      maxTokenTtlSeconds: connections.maxTokenTtlSeconds,
      ...rulesetRuleColumns,
    })
    .from(connections)
    .innerJoin(rulesets, eq(rulesets.connectionId, connections.id))
    .where(eq(connections.orgId, orgId))
    .orderBy(asc(connections.name), asc(connections.id), asc(rulesets.position));
  const byConnection = new Map<string, { name: string; ttl: number; rulesets: RulesetRule[] }>();
  for (const r of rows) {
    const entry = byConnection.get(r.id) ?? { name: r.name, ttl: r.maxTokenTtlSeconds, rulesets: [] };
    entry.rulesets.push(ruleOf(r));
    byConnection.set(r.id, entry);
  }
  const { ownerId } = await policyContext(db, orgId);
  const flagged: PolicyDryRun["flagged"] = [];
  const capped: PolicyDryRun["capped"] = [];
  for (const [id, c] of byConnection) {
    const violations = checkPolicy(settings, c.rulesets, { ownerId });
    if (violations.length) flagged.push({ id, name: c.name, violations });
    if (c.ttl > settings.maxTokenTtlSeconds) capped.push({ id, name: c.name, maxTokenTtlSeconds: c.ttl });
  }
  return { flagged, capped };
}
