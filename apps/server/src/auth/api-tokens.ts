import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { API_TOKEN_PATTERN, API_TOKEN_PREFIX, type ApiToken, type ApiTokenCreated } from "@oidc/shared";
import { and, asc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { recordEvent } from "../audit/events";
import type { AdminReads, TokenAccessRow, TokenKey } from "../db/admin-reads";
import type { Database } from "../db/client";
import { apiTokens, users } from "../db/schema";
import type { OrgAccess, UserContext } from "../domain/context";
import { NotFound } from "../domain/errors";

/** `lastUsedAt` is written at most once per this interval (SPEC §10: coalesced). */
export const API_TOKEN_LAST_USED_INTERVAL_MS = 60_000;

export const hashApiToken = (token: string) => createHash("sha256").update(token).digest("base64url");

type Row = typeof apiTokens.$inferSelect;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

function serialise(row: Row, creator: { id: string | null; email: string | null; name: string | null } | null): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    createdBy: creator?.id && creator.email && creator.name ? { id: creator.id, email: creator.email, name: creator.name } : null,
    expiresAt: iso(row.expiresAt),
    lastUsedAt: iso(row.lastUsedAt),
  };
}

export async function listApiTokens(db: Database, orgId: string): Promise<ApiToken[]> {
  const rows = await db
    .select({ t: apiTokens, creator: { id: users.id, email: users.email, name: users.name } })
    .from(apiTokens)
    .leftJoin(users, eq(users.id, apiTokens.createdBy))
    .where(eq(apiTokens.orgId, orgId))
    .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
  return rows.map((r) => serialise(r.t, r.creator));
}

/** A new token: 32 random bytes; only its SHA-256 is stored, the secret is returned once. */
export async function createApiToken(
  db: Database,
  org: OrgAccess,
  { user, ip }: UserContext,
  input: { name: string; role: "owner" | "member"; expiresInDays?: number | undefined },
): Promise<ApiTokenCreated> {
  const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiTokens)
      .values({
        orgId: org.id,
        name: input.name,
        role: input.role,
        secretHash: hashApiToken(token),
        prefix: token.slice(0, API_TOKEN_PREFIX.length + 4),
        createdBy: user.id,
        expiresAt,
      })
      .returning();
    if (!row) throw new Error("insert returned nothing");
    await recordEvent(tx, {
      orgId: org.id,
      connectionId: null,
      type: "api_token.created",
      actor: { type: "user", id: user.id, name: user.email },
      outcome: "success",
      ip,
      details: { tokenId: row.id, name: row.name, role: row.role, expiresAt: iso(row.expiresAt) },
    });
    return { ...serialise(row, user), token };
  });
}

/** Revokes (deletes) a token of this org; its events stay. Unknown id → 404. */
export async function deleteApiToken(db: Database, org: OrgAccess, { user, ip }: UserContext, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .delete(apiTokens)
      .where(and(eq(apiTokens.id, id), eq(apiTokens.orgId, org.id)))
      .returning();
    if (!row) throw new NotFound();
    await recordEvent(tx, {
      orgId: org.id,
      connectionId: null,
      type: "api_token.deleted",
      actor: { type: "user", id: user.id, name: user.email },
      outcome: "success",
      ip,
      details: { tokenId: row.id, name: row.name, role: row.role },
    });
  });
}

/** The lookup key of a bearer secret under the org `slug`; undefined when it is not shaped like one of our tokens. */
export function tokenKey(secret: string, slug: string): TokenKey | undefined {
  return API_TOKEN_PATTERN.test(secret) ? { hash: hashApiToken(secret), slug } : undefined;
}

/** A live token as the lookup found it: its org only when that is the org in the path. */
export interface LiveToken {
  id: string;
  name: string;
  org: OrgAccess | undefined;
  /** `lastUsedAt` is older than the coalescing interval: the general path writes it (`findApiToken`). */
  lastUsedDue: boolean;
}

/**
 * The token a lookup row is, if it is live: the stored hash equals the secret's (compared in
 * constant time, though it was looked up by it) and it has not expired. The one decision, for the
 * API token middleware and the folded reads alike.
 */
export function liveToken(row: TokenAccessRow | undefined, key: TokenKey, now = Date.now()): LiveToken | undefined {
  if (!row || !timingSafeEqual(Buffer.from(row.secretHash), Buffer.from(key.hash))) return undefined;
  if (row.tokenExpiresAt && Date.parse(row.tokenExpiresAt) <= now) return undefined;
  return {
    id: row.tokenId,
    name: row.tokenName,
    org: row.role ? { id: row.orgId, slug: row.orgSlug, name: row.orgName, role: row.role } : undefined,
    lastUsedDue: !row.tokenLastUsedAt || now - Date.parse(row.tokenLastUsedAt) >= API_TOKEN_LAST_USED_INTERVAL_MS,
  };
}

/**
 * The live token this secret is, or undefined (malformed, unknown, revoked or expired), with its
 * org when that is `slug`. Looked up by the SHA-256 of the secret (`tokenAccessQuery`): timing
 * reveals at most a prefix of a hash, which helps no one find a secret; the stored hash is then
 * compared in constant time all the same. Writes `lastUsedAt` when due (coalesced).
 */
export async function findApiToken(
  reads: AdminReads,
  db: Database,
  secret: string,
  slug: string,
  onLastUsedError: (err: unknown) => void,
): Promise<LiveToken | undefined> {
  const key = tokenKey(secret, slug);
  if (!key) return undefined;
  const token = liveToken(await reads.tokenAccess(key), key);
  if (token?.lastUsedDue) {
    // Coalesced in SQL too: concurrent requests of one token write it once.
    const stale = sql`now() - make_interval(secs => ${API_TOKEN_LAST_USED_INTERVAL_MS / 1000})`;
    try {
      await db
        .update(apiTokens)
        .set({ lastUsedAt: sql`now()` })
        .where(and(eq(apiTokens.id, token.id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, stale))));
    } catch (err) {
      onLastUsedError(err); // the request goes on; the next one retries
    }
  }
  return token;
}
