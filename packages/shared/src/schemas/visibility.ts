import { z } from "zod";
import { TimestampSchema, UuidSchema } from "./common";
import { EventSchema } from "./connections";
import { EVENT_TYPES, type EventType } from "./events";

// SPEC §12 Visibility: usage, organisation activity and its export, webhooks.

export const UsageQuerySchema = z.strictObject({
  days: z.coerce.number().int().min(1, "At least 1 day").max(90, "At most 90 days").default(30),
});
export type UsageQuery = z.input<typeof UsageQuerySchema>;

export const UsageSchema = z.object({
  /** One entry per UTC day, oldest first, today last; days without events count 0. */
  days: z.array(z.object({ date: z.iso.date(), exchanged: z.number().int(), denied: z.number().int() })),
  rulesets: z.array(
    z.object({
      id: UuidSchema,
      label: z.string(),
      /** Successful exchanges in the window this ruleset matched. */
      exchanged: z.number().int(),
      lastUsedAt: TimestampSchema.nullable(),
      /** Events in the window whose `details.audit` names this ruleset (audit mode). */
      auditMatches: z.number().int(),
    }),
  ),
  /** Repositories whose first token on this connection came in the last 7 days, newest first. */
  newRepositories: z.array(z.object({ repository: z.string(), firstUsedAt: TimestampSchema })),
});
export type Usage = z.infer<typeof UsageSchema>;

/** Event types an organisation can filter on and subscribe a webhook to: every event type (the contract's list). */
export const ORG_EVENT_TYPES = EVENT_TYPES;
export type OrgEventType = EventType;

export const EXPORT_FORMATS = ["csv", "ndjson"] as const;

const typeList = z
  .string()
  .max(1000)
  .transform((s) =>
    s
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.enum(ORG_EVENT_TYPES, { message: "Not an event type" })).max(ORG_EVENT_TYPES.length));

export const OrgEventQuerySchema = z
  .strictObject({
    /** One event type or several separated by commas. */
    type: typeList.optional().describe("One event type, or several separated by commas (`type=token.denied,token.first_use`)"),
    outcome: z.enum(["success", "failure"]).optional(),
    connectionId: UuidSchema.optional(),
    since: TimestampSchema.optional(),
    until: TimestampSchema.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z
      .string()
      .regex(/^[0-9]{1,18}$/, "Not a cursor from a previous page")
      .optional(),
    /** Export the whole filtered set (streamed) instead of a page. */
    format: z.enum(EXPORT_FORMATS).optional(),
  })
  .refine((q) => !q.since || !q.until || Date.parse(q.since) <= Date.parse(q.until), {
    path: ["until"],
    message: "until is before since",
  });
export type OrgEventQuery = z.input<typeof OrgEventQuerySchema>;

export const OrgEventListSchema = z.object({ items: z.array(EventSchema), nextCursor: z.string().nullable() });

export const WebhookInputSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, message: "Enter an http(s) URL" })
    .max(2000)
    .refine((u) => !/^[a-z]+:\/\/[^/]*@/i.test(u), "A webhook URL cannot carry a user name or password"),
  events: z
    .array(z.enum(ORG_EVENT_TYPES, { message: "Not an event type" }))
    .min(1, "Choose at least one event type")
    .max(ORG_EVENT_TYPES.length)
    .refine((a) => new Set(a).size === a.length, "Each event type once"),
});
export type WebhookInput = z.input<typeof WebhookInputSchema>;

export const WebhookSchema = z.object({
  url: z.string(),
  events: z.array(z.string()),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
});
export type Webhook = z.infer<typeof WebhookSchema>;

/** The answer to a PUT that created the webhook or rotated its secret: the secret, shown this once. */
export const WebhookWithSecretSchema = WebhookSchema.extend({ secret: z.string().optional() });

export const WebhookDeliverySchema = z.object({
  id: z.string(),
  eventId: z.string().nullable(),
  eventType: z.string(),
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: TimestampSchema.nullable(),
  createdAt: TimestampSchema,
  deliveredAt: TimestampSchema.nullable(),
});
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;
export const WebhookDeliveryListSchema = z.object({ items: z.array(WebhookDeliverySchema) });
