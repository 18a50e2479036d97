/**
 * Wire formats of the token service (SPEC §6) and the registry token service (SPEC §9), for the
 * OpenAPI document. The endpoints parse their own (form) bodies; these schemas describe them.
 */
import { z } from "zod";

/** RFC 8693's identifiers, written once for the server, the console, the tests and the e2e suite. */
export const TOKEN_EXCHANGE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
/** The subject token types we accept: an OIDC ID token, or a JWT. */
export const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
export const JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";
/** The issued token type. */
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

/** `POST /oauth/token` (RFC 8693), form-encoded or JSON. */
export const TokenExchangeRequestSchema = z.object({
  grant_type: z.literal(TOKEN_EXCHANGE_GRANT_TYPE),
  subject_token: z.string().describe("The GitHub Actions OIDC ID token"),
  subject_token_type: z.enum([ID_TOKEN_TYPE, JWT_TOKEN_TYPE]),
  connection_id: z.uuid().describe("The connection ID"),
  expires_in: z
    .string()
    .regex(/^[0-9]+$/)
    .optional()
    .describe("Whole seconds ≥ 300, default 300; capped at the connection's maxTokenTtlSeconds"),
  requested_token_type: z.string().optional(),
  audience: z.string().optional(),
  resource: z.string().optional(),
  scope: z.string().optional(),
});

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

/** `POST /registry/token`: the containerd/buildkit form. */
export const RegistryTokenFormSchema = z.object({
  grant_type: z.literal("password"),
  username: z.string(),
  password: z.string().describe("An access token from /oauth/token"),
  service: z.string(),
  scope: z.string().optional().describe("Scopes separated by spaces"),
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
