import { randomBytes } from "node:crypto";
import type { Webhook, WebhookDelivery } from "@oidc/shared";
import { and, desc, eq, sql } from "drizzle-orm";
import { type AdminActor, recordEvent } from "../audit/events";
import type { Database } from "../db/client";
import { webhookDeliveries, webhooks } from "../db/schema";
import type { ActorContext, OrgAccess } from "../domain/context";
import { NotFound, ValidationFailed } from "../domain/errors";
import type { Env } from "../env";
import { asSealed, type Keyring, keyringOf, openPrivateJwk, sealPrivateJwk } from "../keys/vault";
import { webhookUrlProblem } from "./address";

export const WEBHOOK_SECRET_PREFIX = "whsec_";
/** The row a secret is bound to (AES-GCM additional data): a sealed secret moved to another org will not open. */
const secretKid = (orgId: string) => `webhook:${orgId}`;

const newSecret = () => `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString("base64url")}`;

export const sealSecret = (env: Env, orgId: string, secret: string) =>
  // A symmetric JWK ("oct"): the vault seals JWKs.
  sealPrivateJwk({ kty: "oct", k: secret }, keyringOf(env).current, secretKid(orgId)) as unknown as Record<string, unknown>;

export function openSecret(env: Env, orgId: string, stored: unknown): string {
  return String(openPrivateJwk(stored, keyringOf(env), secretKid(orgId)).k);
}

/** `keys:rewrap`: re-seals every webhook secret not yet under the current KEK. Returns how many. */
export async function rewrapWebhookSecrets(db: Database, keyring: Keyring): Promise<{ total: number; rewrapped: number }> {
  return db.transaction(async (tx) => {
    const rows = await tx.select({ orgId: webhooks.orgId, secret: webhooks.secret }).from(webhooks).for("update");
    let rewrapped = 0;
    for (const row of rows) {
      if (asSealed(row.secret)?.kek === keyring.current.id) continue;
      const jwk = openPrivateJwk(row.secret, keyring, secretKid(row.orgId));
      await tx
        .update(webhooks)
        .set({ secret: sealPrivateJwk(jwk, keyring.current, secretKid(row.orgId)) as unknown as Record<string, unknown> })
        .where(eq(webhooks.orgId, row.orgId));
      rewrapped++;
    }
    return { total: rows.length, rewrapped };
  });
}

function serialise(row: typeof webhooks.$inferSelect): Webhook {
  return { url: row.url, events: row.events, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

export async function getWebhook(db: Database, orgId: string): Promise<Webhook> {
  const [row] = await db.select().from(webhooks).where(eq(webhooks.orgId, orgId));
  if (!row) throw new NotFound();
  return serialise(row);
}

/**
 * Creates or replaces the org's webhook. A new webhook gets a secret, returned in this answer only
 * (201); a change keeps the secret (200). The URL is checked as deliveries will check it.
 */
export async function putWebhook(
  db: Database,
  env: Env,
  org: OrgAccess,
  { actor, ip }: ActorContext,
  input: { url: string; events: string[] },
): Promise<{ webhook: Webhook; secret?: string; created: boolean }> {
  const problem = await webhookUrlProblem(input.url, !env.production);
  if (problem) throw new ValidationFailed([{ path: ["url"], message: problem }]);
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(webhooks).where(eq(webhooks.orgId, org.id)).for("update");
    if (before) {
      const [row] = await tx
        .update(webhooks)
        .set({ url: input.url, events: input.events, updatedAt: sql`now()` })
        .where(eq(webhooks.orgId, org.id))
        .returning();
      await recordEvent(tx, {
        orgId: org.id,
        connectionId: null,
        type: "webhook.updated",
        actor,
        outcome: "success",
        details: { before: { url: before.url, events: before.events }, after: { url: input.url, events: input.events } },
        ip,
      });
      return { webhook: serialise(row as typeof webhooks.$inferSelect), created: false };
    }
    const secret = newSecret();
    const [row] = await tx
      .insert(webhooks)
      .values({ orgId: org.id, url: input.url, events: input.events, secret: sealSecret(env, org.id, secret) })
      .returning();
    await recordEvent(tx, {
      orgId: org.id,
      connectionId: null,
      type: "webhook.created",
      actor,
      outcome: "success",
      details: { url: input.url, events: input.events },
      ip,
    });
    return { webhook: serialise(row as typeof webhooks.$inferSelect), secret, created: true };
  });
}

/** A new secret, returned once; deliveries sign with it from now on (the old one stops at once). */
export async function rotateWebhookSecret(db: Database, env: Env, org: OrgAccess, { actor, ip }: ActorContext) {
  const secret = newSecret();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(webhooks)
      .set({ secret: sealSecret(env, org.id, secret), updatedAt: sql`now()` })
      .where(eq(webhooks.orgId, org.id))
      .returning();
    if (!row) throw new NotFound();
    await recordEvent(tx, {
      orgId: org.id,
      connectionId: null,
      type: "webhook.secret_rotated",
      actor,
      outcome: "success",
      ip,
      details: {},
    });
    return { ...serialise(row), secret };
  });
}

/** Removes the webhook; its deliveries still waiting are given up (recorded as failed). */
export async function deleteWebhook(db: Database, org: OrgAccess, { actor, ip }: ActorContext) {
  await db.transaction(async (tx) => {
    const [row] = await tx.delete(webhooks).where(eq(webhooks.orgId, org.id)).returning();
    if (!row) throw new NotFound();
    await tx
      .update(webhookDeliveries)
      .set({ status: "failed", lastError: "The webhook was removed" })
      .where(and(eq(webhookDeliveries.orgId, org.id), eq(webhookDeliveries.status, "pending")));
    await recordEvent(tx, {
      orgId: org.id,
      connectionId: null,
      type: "webhook.deleted",
      actor,
      outcome: "success",
      details: { url: row.url, events: row.events },
      ip,
    });
  });
}

/** Queues a `webhook.test` delivery (not an audit event): it goes through the outbox like any other. */
export async function queueTestDelivery(db: Database, org: OrgAccess, actor: AdminActor): Promise<WebhookDelivery> {
  const [hook] = await db.select({ orgId: webhooks.orgId }).from(webhooks).where(eq(webhooks.orgId, org.id));
  if (!hook) throw new NotFound();
  const [row] = await db
    .insert(webhookDeliveries)
    .values({
      orgId: org.id,
      eventType: "webhook.test",
      payload: {
        type: "webhook.test",
        actor: { type: actor.type, id: actor.id, name: actor.name },
        message: "A test delivery from OIDC Connections",
        createdAt: new Date().toISOString(),
      },
    })
    .returning();
  return serialiseDelivery(row as typeof webhookDeliveries.$inferSelect);
}

export function serialiseDelivery(row: typeof webhookDeliveries.$inferSelect): WebhookDelivery {
  return {
    id: String(row.id),
    eventId: row.eventId === null ? null : String(row.eventId),
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    nextAttemptAt: row.status === "pending" ? row.nextAttemptAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    deliveredAt: row.deliveredAt ? row.deliveredAt.toISOString() : null,
  };
}

export async function listDeliveries(db: Database, orgId: string, limit = 50): Promise<WebhookDelivery[]> {
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.orgId, orgId))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit);
  return rows.map(serialiseDelivery);
}
