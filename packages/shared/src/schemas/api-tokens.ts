import { z } from "zod";
import { textRule } from "../text";
import { RoleSchema, TimestampSchema, UuidSchema } from "./common";

/** `oidcc_` + 32 random bytes as base64url (43 characters): the form of every API token (SPEC §10). */
export const API_TOKEN_PREFIX = "oidcc_";
export const API_TOKEN_PATTERN = /^oidcc_[A-Za-z0-9_-]{43}$/;
export const MAX_API_TOKEN_DAYS = 365;

export const ApiTokenCreateSchema = z.strictObject({
  name: z.string().trim().normalize("NFC").min(1, "Enter a name").max(100, "At most 100 characters").superRefine(textRule()),
  role: RoleSchema,
  expiresInDays: z
    .number()
    .int("Whole days")
    .min(1, "At least 1 day")
    .max(MAX_API_TOKEN_DAYS, `At most ${MAX_API_TOKEN_DAYS} days`)
    .optional(),
});
export type ApiTokenCreate = z.input<typeof ApiTokenCreateSchema>;

export const ApiTokenSchema = z.object({
  id: UuidSchema,
  name: z.string(),
  role: RoleSchema,
  /** The token's first characters (`oidcc_` + 4), to recognise a token found in a log or a secret scan. */
  prefix: z.string(),
  createdAt: TimestampSchema,
  createdBy: z.object({ id: UuidSchema, email: z.string(), name: z.string() }).nullable(),
  /** null: the token does not expire. */
  expiresAt: TimestampSchema.nullable(),
  lastUsedAt: TimestampSchema.nullable(),
});
export type ApiToken = z.infer<typeof ApiTokenSchema>;

/** The answer to a create: the only time the secret is ever shown. */
export const ApiTokenCreatedSchema = ApiTokenSchema.extend({
  token: z.string().regex(API_TOKEN_PATTERN),
});
export type ApiTokenCreated = z.infer<typeof ApiTokenCreatedSchema>;

export const ApiTokenListSchema = z.object({ items: z.array(ApiTokenSchema) });
