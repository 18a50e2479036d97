/**
 * The admin API's hot reads (GET one connection, a page of the list), each ONE statement — one
 * round trip — that also brings what the answer needs besides the rows: the creator and updater,
 * the rulesets, the organisation's policy and its GitHub owner ID; and the revocation check that
 * every use of an access token reads (`readRevocation`). Measured facts and the bench commands
 * behind this design: docs/performance.md.
 *
 * The statements are written with drizzle's `sql` template over the tables of `schema.ts`, so tsc
 * checks every table and column they name; `test/admin-reads.test.ts` runs each one on a migrated
 * database (both drivers) and checks the columns it answers against the row types below, so the
 * schema, the migrations and these statements cannot drift apart unnoticed.
 *
 * Two ways to run the same statement, chosen by the caller, never by a side effect:
 * - `AdminReads` (constructed explicitly with the database handle): rendered to text once, run as
 *   a prepared statement (postgres.js) or a parameterised query (PGlite) — no query building per
 *   request. The routes use it.
 * - `readConnectionIn(tx, …)`: the same template run inside a write's transaction (drizzle's
 *   `execute`), so a write answers with what it committed.
 *
 * Timestamps leave the database as ISO 8601 text (UTC, milliseconds: what `Date#toISOString` gives),
 * so neither driver's date parsing is involved and the answer needs no conversion.
 */
import { POLICY_RULES } from "@oidc/shared";
import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { alias, PgDialect } from "drizzle-orm/pg-core";
import type { DatabaseHandle, Executor } from "./client";
import { rowsOf } from "./raw";
import { apiTokens, connections, memberships, organizations, orgPolicies, rulesets, sessions, users } from "./schema";

/** A ruleset as the statements answer it (JSON built by the database). */
export interface RulesetOut {
  id: string;
  label: string;
  subject: string;
  conditions: { claim: string; pattern: string }[];
  resources: string[];
  scopes: ("pull" | "push" | "delete")[];
  mode: "enforce" | "audit";
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** The organisation's policy settings, null when none was ever saved (the defaults apply). */
export interface PolicyOut {
  requireImmutableSubjects: boolean;
  requireGateForWrites: boolean;
  forbidPullRequestWrites: boolean;
  maxTokenTtlSeconds: number;
}

interface UserOut {
  id: string;
  email: string;
  name: string;
}

/** One row of a list page. */
export interface ConnectionPageRow {
  id: string;
  name: string;
  description: string;
  type: "github-actions";
  status: "active" | "inactive";
  rulesetCount: number;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
  /** The connection's rulesets, only when the policy judges rulesets (else null: nothing to check). */
  rulesets: RulesetOut[] | null;
  policy: PolicyOut | null;
  ownerId: string | null;
}

/** GET one connection. */
export interface ConnectionRow extends Omit<ConnectionPageRow, "rulesets"> {
  issuer: string;
  maxTokenTtlSeconds: number;
  version: number;
  createdBy: UserOut | null;
  updatedBy: UserOut | null;
  rulesets: RulesetOut[];
}

/**
 * A live session's user and their membership of the org in the path (`role` null when they are not
 * a member or the org does not exist; no row when the session is unknown or expired).
 */
export interface SessionAccessRow {
  userId: string;
  userEmail: string;
  userName: string;
  orgId: string | null;
  orgSlug: string | null;
  orgName: string | null;
  role: "owner" | "member" | null;
}

/**
 * The API token with this secret hash, and its organisation; `role` (the token's) only when that
 * organisation is the one in the path (null otherwise: a token works only under its own org). No
 * row when no token has this hash. Expiry and the constant-time comparison are `auth/api-tokens.ts`'s.
 */
export interface TokenAccessRow {
  tokenId: string;
  tokenName: string;
  secretHash: string;
  /** `token…`: the folded reads' rows also have the connection's `lastUsedAt`. */
  tokenExpiresAt: string | null;
  tokenLastUsedAt: string | null;
  orgId: string;
  orgSlug: string;
  orgName: string;
  role: "owner" | "member" | null;
}

/** GET one connection for a session: the access and, for a member only, the connection (null columns when none). */
export type SessionConnectionRow = SessionAccessRow & (ConnectionRow | { [K in keyof ConnectionRow]: null });
/** A list page for a session: the access on every row; one row with null connection columns when the page is empty or they are not a member. */
export type SessionConnectionPageRow = SessionAccessRow & (ConnectionPageRow | { [K in keyof ConnectionPageRow]: null });

/** The same two reads for an API token. */
export type TokenConnectionRow = TokenAccessRow & (ConnectionRow | { [K in keyof ConnectionRow]: null });
export type TokenConnectionPageRow = TokenAccessRow & (ConnectionPageRow | { [K in keyof ConnectionPageRow]: null });

/** The columns each statement answers, as the test checks them against a real database. */
export const PAGE_COLUMNS = [
  "id",
  "name",
  "description",
  "type",
  "status",
  "rulesetCount",
  "createdAt",
  "updatedAt",
  "lastUsedAt",
  "rulesets",
  "policy",
  "ownerId",
] as const satisfies readonly (keyof ConnectionPageRow)[];
export const CONNECTION_COLUMNS = [
  ...PAGE_COLUMNS,
  "issuer",
  "maxTokenTtlSeconds",
  "version",
  "createdBy",
  "updatedBy",
] as const satisfies readonly (keyof ConnectionRow)[];
export const ACCESS_COLUMNS = [
  "userId",
  "userEmail",
  "userName",
  "orgId",
  "orgSlug",
  "orgName",
  "role",
] as const satisfies readonly (keyof SessionAccessRow)[];

export const TOKEN_ACCESS_COLUMNS = [
  "tokenId",
  "tokenName",
  "secretHash",
  "tokenExpiresAt",
  "tokenLastUsedAt",
  "orgId",
  "orgSlug",
  "orgName",
  "role",
] as const satisfies readonly (keyof TokenAccessRow)[];

type Param = SQLWrapper | string | number | null;

/** ISO 8601 in UTC with milliseconds, as `Date#toISOString` writes it; null stays null. */
const iso = (column: SQLWrapper) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const rulesetJson = sql`json_build_object(
  'id', ${rulesets.id}, 'label', ${rulesets.label}, 'subject', ${rulesets.subject},
  'conditions', ${rulesets.conditions}, 'resources', ${rulesets.resources}, 'scopes', ${rulesets.scopes},
  'mode', ${rulesets.mode}, 'expiresAt', ${iso(rulesets.expiresAt)}, 'lastUsedAt', ${iso(rulesets.lastUsedAt)})`;

/** The connection's rulesets in position order, as a JSON array ('[]' when none). */
const rulesetsOf = sql`coalesce((select json_agg(${rulesetJson} order by ${rulesets.position}) from ${rulesets} where ${rulesets.connectionId} = ${connections.id}), '[]'::json)`;

/**
 * The org's policy and owner ID: uncorrelated sub-selects, which PostgreSQL evaluates once per
 * statement (InitPlan), not once per row.
 */
const policyOf = (orgId: Param) => sql`(select json_build_object(
  'requireImmutableSubjects', ${orgPolicies.requireImmutableSubjects},
  'requireGateForWrites', ${orgPolicies.requireGateForWrites},
  'forbidPullRequestWrites', ${orgPolicies.forbidPullRequestWrites},
  'maxTokenTtlSeconds', ${orgPolicies.maxTokenTtlSeconds}) from ${orgPolicies} where ${orgPolicies.orgId} = ${orgId}::uuid)`;
const ownerIdOf = (orgId: Param) =>
  sql`(select ${organizations.githubOwnerId} from ${organizations} where ${organizations.id} = ${orgId}::uuid)`;
/** Whether a saved policy has any setting that judges rulesets (the same list as the shared checks). */
const judgesRulesets = (orgId: Param) =>
  sql`coalesce((select ${sql.join(
    POLICY_RULES.map((rule) => sql`${orgPolicies[rule]}`),
    sql` or `,
  )} from ${orgPolicies} where ${orgPolicies.orgId} = ${orgId}::uuid), false)`;

const summaryColumns = (orgId: Param) => sql`${connections.id} as "id", ${connections.name} as "name",
  ${connections.description} as "description", ${connections.type} as "type", ${connections.status} as "status",
  ${iso(connections.createdAt)} as "createdAt", ${iso(connections.updatedAt)} as "updatedAt",
  ${iso(connections.lastUsedAt)} as "lastUsedAt",
  ${policyOf(orgId)} as "policy", ${ownerIdOf(orgId)} as "ownerId"`;

const creator = alias(users, "creator");
const updater = alias(users, "updater");
const userJson = (u: typeof creator | typeof updater) =>
  sql`case when ${u.id} is null then null else json_build_object('id', ${u.id}, 'email', ${u.email}, 'name', ${u.name}) end`;

/** GET /api/orgs/:org/oidc-connections/:id — the connection in this org, or no row. */
export function connectionQuery(p: { orgId: Param; id: Param }): SQL {
  return sql`select ${summaryColumns(p.orgId)},
    (select count(*)::int from ${rulesets} where ${rulesets.connectionId} = ${connections.id}) as "rulesetCount",
    ${rulesetsOf} as "rulesets",
    ${connections.issuer} as "issuer", ${connections.maxTokenTtlSeconds} as "maxTokenTtlSeconds", ${connections.version} as "version",
    ${userJson(creator)} as "createdBy", ${userJson(updater)} as "updatedBy"
  from ${connections}
  left join ${users} as ${sql.identifier("creator")} on ${creator.id} = ${connections.createdBy}
  left join ${users} as ${sql.identifier("updater")} on ${updater.id} = ${connections.updatedBy}
  where ${connections.id} = ${p.id}::uuid and ${connections.orgId} = ${p.orgId}::uuid`;
}

/**
 * A page of the list: newest first, keyset on (createdAt, id). Every filter is a parameter (null:
 * none), so one prepared statement serves every page. Without a cursor the bound is
 * (infinity, the largest UUID), above every row, so the comparison always reads
 * `connections_org_created_idx` in order and stops after `limit` rows (test/admin-queries.test.ts).
 */
export function connectionPageQuery(p: {
  orgId: Param;
  limit: Param;
  status: Param;
  /** An ILIKE pattern (already escaped) matched against the name and the description. */
  like: Param;
  cursorAt: Param;
  cursorId: Param;
}): SQL {
  return sql`select ${summaryColumns(p.orgId)},
    (select count(*)::int from ${rulesets} where ${rulesets.connectionId} = ${connections.id}) as "rulesetCount",
    case when ${judgesRulesets(p.orgId)} then ${rulesetsOf} end as "rulesets"
  from ${connections}
  where ${connections.orgId} = ${p.orgId}::uuid
    and (${connections.createdAt}, ${connections.id}) < (coalesce(${p.cursorAt}::timestamptz, 'infinity'::timestamptz), coalesce(${p.cursorId}::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
    and (${p.status}::text is null or ${connections.status} = ${p.status}::text)
    and (${p.like}::text is null or ${connections.name} ilike ${p.like}::text or ${connections.description} ilike ${p.like}::text)
  order by ${connections.createdAt} desc, ${connections.id} desc
  limit ${p.limit}::int`;
}

/**
 * The live session `hash` at `now` (SPEC §5: a session is valid until it expires or signs out):
 * its user, and their membership of the org `slug`. The one definition of "who is calling, and
 * may they see this org": the session middleware runs it alone, the folded reads below as their
 * first part.
 */
export function sessionAccessQuery(p: { hash: Param; now: Param; slug: Param }): SQL {
  return sql`select ${users.id} as "userId", ${users.email} as "userEmail", ${users.name} as "userName",
    ${organizations.id} as "orgId", ${organizations.slug} as "orgSlug", ${organizations.name} as "orgName", ${memberships.role} as "role"
  from ${sessions}
  join ${users} on ${users.id} = ${sessions.userId}
  left join ${organizations} on ${organizations.slug} = ${p.slug}::text
  left join ${memberships} on ${memberships.orgId} = ${organizations.id} and ${memberships.userId} = ${users.id}
  where ${sessions.idHash} = ${p.hash}::text and ${sessions.expiresAt} > ${p.now}::timestamptz
  limit 1`;
}

/**
 * The API token whose secret hashes to `hash`, and its role under the org `slug` (`TokenAccessRow`).
 * The one definition of "which token is calling, and may it see this org": the API token middleware
 * runs it alone, the folded reads below as their first part.
 */
export function tokenAccessQuery(p: { hash: Param; slug: Param }): SQL {
  return sql`select ${apiTokens.id} as "tokenId", ${apiTokens.name} as "tokenName", ${apiTokens.secretHash} as "secretHash",
    ${iso(apiTokens.expiresAt)} as "tokenExpiresAt", ${iso(apiTokens.lastUsedAt)} as "tokenLastUsedAt",
    ${organizations.id} as "orgId", ${organizations.slug} as "orgSlug", ${organizations.name} as "orgName",
    case when ${organizations.slug} = ${p.slug}::text then ${apiTokens.role} end as "role"
  from ${apiTokens}
  join ${organizations} on ${organizations.id} = ${apiTokens.orgId}
  where ${apiTokens.secretHash} = ${p.hash}::text
  limit 1`;
}

/**
 * A read folded into the caller's lookup (a session's or an API token's): one statement, one round
 * trip, instead of the lookup's and then the read's. The read's org is the caller's role's (null
 * when there is none, so it reads nothing): what a caller may see is decided inside the statement,
 * exactly as `orgAccess` decides it for the general path.
 */
function foldedInto(access: SQL, read: (orgId: SQL) => SQL): SQL {
  const allowedOrgId = sql`(case when ${sql.identifier("access")}."role" is not null then ${sql.identifier("access")}."orgId" end)`;
  return sql`select ${sql.identifier("access")}.*, ${sql.identifier("folded")}.*
  from (${access}) as ${sql.identifier("access")}
  left join lateral (${read(allowedOrgId)}) as ${sql.identifier("folded")} on true`;
}

/**
 * What revokes an access token (SPEC §6.4), read at every use of one (the registry realm, the
 * resource route): its connection's status and `tokensValidAfter`, in milliseconds (whole, as
 * `Date#getTime` gives them). No row: the connection was deleted.
 */
export interface RevocationRow {
  status: "active" | "inactive";
  tokensValidAfterMs: number | null;
}

export function revocationQuery(p: { id: Param }): SQL {
  return sql`select ${connections.status} as "status",
    floor(extract(epoch from ${connections.tokensValidAfter}) * 1000)::float8 as "tokensValidAfterMs"
  from ${connections} where ${connections.id} = ${p.id}::uuid`;
}

const dialect = new PgDialect();

/** A statement rendered once: its text and, in order, the names of its parameters. */
export interface Statement<P extends string> {
  name: string;
  text: string;
  params: P[];
}

function render<P extends string>(name: string, build: (p: Record<P, SQLWrapper>) => SQL, names: readonly P[]): Statement<P> {
  const placeholders = Object.fromEntries(names.map((n) => [n, sql.placeholder(n)])) as unknown as Record<P, SQLWrapper>;
  const query = dialect.sqlToQuery(build(placeholders));
  const params = query.params.map((p) => (p as { name: P }).name);
  return { name, text: query.sql, params };
}

/** The parameters of a list page's filters, and of a session's access (the folded statements take both). */
const PAGE_PARAMS = ["limit", "status", "like", "cursorAt", "cursorId"] as const;
const ACCESS_PARAMS = ["hash", "now", "slug"] as const;
const TOKEN_PARAMS = ["hash", "slug"] as const;

/** Every statement of this module, rendered (the drift test runs each of them). */
export const STATEMENTS = {
  connection: render("admin_connection", connectionQuery, ["orgId", "id"] as const),
  connectionPage: render("admin_connection_page", connectionPageQuery, ["orgId", ...PAGE_PARAMS] as const),
  sessionAccess: render("session_access", sessionAccessQuery, ACCESS_PARAMS),
  sessionConnection: render(
    "session_connection",
    (p) => foldedInto(sessionAccessQuery(p), (orgId) => connectionQuery({ orgId, id: p.id })),
    [...ACCESS_PARAMS, "id"] as const,
  ),
  sessionConnectionPage: render(
    "session_connection_page",
    (p) => foldedInto(sessionAccessQuery(p), (orgId) => connectionPageQuery({ ...p, orgId })),
    [...ACCESS_PARAMS, ...PAGE_PARAMS] as const,
  ),
  revocation: render("access_token_revocation", revocationQuery, ["id"] as const),
  tokenAccess: render("token_access", tokenAccessQuery, TOKEN_PARAMS),
  tokenConnection: render("token_connection", (p) => foldedInto(tokenAccessQuery(p), (orgId) => connectionQuery({ orgId, id: p.id })), [
    ...TOKEN_PARAMS,
    "id",
  ] as const),
  tokenConnectionPage: render(
    "token_connection_page",
    (p) => foldedInto(tokenAccessQuery(p), (orgId) => connectionPageQuery({ ...p, orgId })),
    [...TOKEN_PARAMS, ...PAGE_PARAMS] as const,
  ),
};

function bind<P extends string>(statement: Statement<P>, values: Partial<Record<P, unknown>>): unknown[] {
  return statement.params.map((name) => values[name] ?? null);
}

/** A statement of `STATEMENTS` with its values, on the driver: prepared once per connection (postgres.js) or parameterised (PGlite). */
function run<T, P extends string>(database: DatabaseHandle, statement: Statement<P>, values: Partial<Record<P, unknown>>): Promise<T[]> {
  return database.query<T>(statement.text, bind(statement, values));
}

async function runFirst<T, P extends string>(
  database: DatabaseHandle,
  statement: Statement<P>,
  values: Partial<Record<P, unknown>>,
): Promise<T | undefined> {
  return (await run<T, P>(database, statement, values))[0];
}

/** The hot reads on the database itself (`run`). */
export class AdminReads {
  constructor(private readonly database: DatabaseHandle) {}

  connection(orgId: string, id: string): Promise<ConnectionRow | undefined> {
    return runFirst(this.database, STATEMENTS.connection, { orgId, id });
  }

  connectionPage(values: PageValues & { orgId: string }): Promise<ConnectionPageRow[]> {
    return run(this.database, STATEMENTS.connectionPage, values);
  }

  sessionAccess(key: SessionKey): Promise<SessionAccessRow | undefined> {
    return runFirst(this.database, STATEMENTS.sessionAccess, key);
  }

  /** No row: no live session. Otherwise its access, and the connection's columns (null unless a member's and found). */
  sessionConnection(key: SessionKey, id: string): Promise<SessionConnectionRow | undefined> {
    return runFirst(this.database, STATEMENTS.sessionConnection, { ...key, id });
  }

  /** No rows: no live session. Otherwise the access on every row and the page's rows (one row of nulls when none). */
  sessionConnectionPage(key: SessionKey, values: PageValues): Promise<SessionConnectionPageRow[]> {
    return run(this.database, STATEMENTS.sessionConnectionPage, { ...key, ...values });
  }

  /** No row: no token has this hash. Otherwise the token, its org, and its role under `key.slug` (null when another org). */
  tokenAccess(key: TokenKey): Promise<TokenAccessRow | undefined> {
    return runFirst(this.database, STATEMENTS.tokenAccess, key);
  }

  /** As `sessionConnection`, for an API token. */
  tokenConnection(key: TokenKey, id: string): Promise<TokenConnectionRow | undefined> {
    return runFirst(this.database, STATEMENTS.tokenConnection, { ...key, id });
  }

  /** As `sessionConnectionPage`, for an API token. */
  tokenConnectionPage(key: TokenKey, values: PageValues): Promise<TokenConnectionPageRow[]> {
    return run(this.database, STATEMENTS.tokenConnectionPage, { ...key, ...values });
  }
}

/**
 * `revocationQuery` for one connection id, run like the reads above. The id must be a UUID (the
 * statement casts it); an access token's `connection_id` is one, as our signature vouches.
 */
export function readRevocation(database: DatabaseHandle, connectionId: string): Promise<RevocationRow | undefined> {
  return runFirst(database, STATEMENTS.revocation, { id: connectionId });
}

/** The values a list page's statement binds (the filters of ConnectionListOptions, already decoded). */
export interface PageValues {
  limit: number;
  status?: string | undefined;
  like?: string | undefined;
  cursorAt?: string | undefined;
  cursorId?: string | undefined;
}

/** Who a session is, for the org `slug`: `AdminReads.sessionAccess` and the folded reads. */
export interface SessionKey {
  hash: string;
  slug: string;
  /** ISO 8601: sessions that expire before this are dead. */
  now: string;
}

/** Which API token is calling (by the SHA-256 of its secret), for the org `slug`: `AdminReads.tokenAccess` and the folded reads. */
export interface TokenKey {
  hash: string;
  slug: string;
}

/** GET's statement inside a transaction (a write answers with what it is about to commit). */
export async function readConnectionIn(executor: Executor, orgId: string, id: string): Promise<ConnectionRow | undefined> {
  return rowsOf<ConnectionRow>(await executor.execute(connectionQuery({ orgId, id })))[0];
}
