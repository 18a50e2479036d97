/**
 * Wire formats of the token service (SPEC §6) and the registry token service (SPEC §9). The token
 * endpoint validates its parameters with `TokenExchangeRequestSchema` (the OpenAPI document shows
 * the same schema); the registry realm's form with `RegistryTokenFormSchema`.
 */
import { z } from "zod";
import {
  ACCESS_TOKEN_TYPE,
  ID_TOKEN_TYPE,
  JWT_TOKEN_TYPE,
  REQUESTED_TOKEN_TYPES,
  SUBJECT_TOKEN_TYPES,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from "../rfc8693";

/** The least `expires_in` a caller may ask for (SPEC §6.1); more than the connection allows is capped, not refused. */
export const MIN_EXPIRES_IN_SECONDS = 300;
/** What an access token lives when `expires_in` is not given (SPEC §6.1), capped like any request. */
export const DEFAULT_EXPIRES_IN_SECONDS = 300;

const BAD_EXPIRES_IN = `The expires_in must be a whole number of seconds, at least ${MIN_EXPIRES_IN_SECONDS}`;
const missing = (name: string) => `The ${name} parameter is missing`;
/** An absent or empty parameter is "missing"; anything else gets `wrong`. */
const messages = (name: string, wrong: string) => (issue: { input?: unknown }) =>
  issue.input === undefined || issue.input === "" ? missing(name) : wrong;

/**
 * `POST /oauth/token` (RFC 8693), form-encoded or JSON, one value per parameter (the route refuses
 * repeats first). The fields are in the order they are checked: the first issue is the one the
 * caller is told (the grant type first, then the connection, then the token).
 */
export const TokenExchangeRequestSchema = z.object({
  grant_type: z.literal(TOKEN_EXCHANGE_GRANT_TYPE, {
    error: messages("grant_type", `Only the grant type ${TOKEN_EXCHANGE_GRANT_TYPE} is supported`),
  }),
  connection_id: z
    .guid({ error: messages("connection_id", "The connection_id is not a connection ID (a UUID)") })
    .describe("The connection ID"),
  subject_token: z
    .string({ error: missing("subject_token") })
    .min(1, missing("subject_token"))
    .describe("The GitHub Actions OIDC ID token"),
  subject_token_type: z.enum(SUBJECT_TOKEN_TYPES, {
    error: messages("subject_token_type", `The subject_token_type must be ${ID_TOKEN_TYPE} (or ${JWT_TOKEN_TYPE})`),
  }),
  requested_token_type: z.enum(REQUESTED_TOKEN_TYPES, { error: `The requested_token_type must be ${ACCESS_TOKEN_TYPE}` }).optional(),
  expires_in: z
    .string({ error: BAD_EXPIRES_IN })
    .regex(/^[0-9]{1,15}$/, BAD_EXPIRES_IN)
    .refine((v) => Number(v) >= MIN_EXPIRES_IN_SECONDS, BAD_EXPIRES_IN)
    .optional()
    .describe(
      `Whole seconds ≥ ${MIN_EXPIRES_IN_SECONDS}, default ${MIN_EXPIRES_IN_SECONDS}; capped at the connection's maxTokenTtlSeconds`,
    ),
  audience: z.string().optional().describe("When given: this service's access-token audience (or its public URL)"),
  resource: z.string().optional().describe("When given: this service's access-token audience (or its public URL)"),
  scope: z.string().optional().describe("Ignored: what a token grants comes from the connection's rulesets"),
});
export type TokenExchangeRequest = z.infer<typeof TokenExchangeRequestSchema>;

export const TokenExchangeResponseSchema = z.object({
  access_token: z.string(),
  issued_token_type: z.literal(ACCESS_TOKEN_TYPE),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int(),
  scope: z.string().describe("repository:<org>/<repo>:<scopes> entries separated by spaces"),
});

/** RFC 6749 §5.2. */
export const OAuthErrorSchema = z.object({
  error: z.enum([
    "invalid_request",
    "unsupported_grant_type",
    "invalid_grant",
    "invalid_target",
    "server_error",
    "temporarily_unavailable",
  ]),
  error_description: z.string(),
});

export const JwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string(), kid: z.string().optional() })) });

export const OpenIdConfigurationSchema = z.looseObject({
  issuer: z.string(),
  jwks_uri: z.string(),
  token_endpoint: z.string(),
  grant_types_supported: z.array(z.string()),
});

/** `GET /api/v1/repositories/:org/:repo/access` (SPEC §6.5). */
export const ResourceAccessSchema = z.object({ repository: z.string(), actions: z.array(z.enum(["pull", "push", "delete"])) });

/** `GET /registry/token` (SPEC §9): Docker Registry v2 token authentication. */
export const RegistryTokenQuerySchema = z.object({
  service: z.string().describe("Must equal the deployment's REGISTRY_SERVICE"),
  scope: z.string().optional().describe("repository:<org>/<repo>:<actions>; may be repeated"),
  account: z.string().optional(),
  client_id: z.string().optional(),
  offline_token: z.string().optional(),
});

/**
 * `POST /registry/token`: the containerd/buildkit form. `service` and `scope` may be repeated (the
 * realm reads every value); the others are given once. A missing password is a 401, not a 400.
 */
export const RegistryTokenFormSchema = z.object({
  grant_type: z.literal("password", {
    error: (issue) =>
      issue.input === "refresh_token"
        ? "This service issues no refresh tokens: send grant_type=password with the access token as the password"
        : "Send grant_type=password with the access token as the password",
  }),
  username: z.string().optional().describe("Any name (recorded with the event)"),
  password: z.string().optional().describe("An access token from /oauth/token"),
  service: z.string().describe("Must equal the deployment's REGISTRY_SERVICE"),
  scope: z.string().optional().describe("Scopes separated by spaces; may be repeated"),
  client_id: z.string().optional(),
  access_type: z.string().optional(),
});

export const RegistryTokenResponseSchema = z.object({
  token: z.string(),
  access_token: z.string(),
  expires_in: z.number().int(),
  issued_at: z.string(),
});

export const RegistryErrorSchema = z.object({
  errors: z.array(z.object({ code: z.string(), message: z.string(), detail: z.unknown().optional() })),
});
