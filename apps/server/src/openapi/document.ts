/**
 * The OpenAPI 3.1 document of the whole HTTP surface (SPEC §5, §6, §9, §10), generated from the
 * shared zod schemas with zod's own `z.toJSONSchema` and the one route table below. The validators
 * use the same schema objects, so the document cannot drift from what the server accepts; a test
 * checks that every mounted route is in the table and that the document passes a validator.
 */
import {
  ApiErrorSchema,
  ApiTokenCreatedSchema,
  ApiTokenCreateSchema,
  ApiTokenListSchema,
  AuditSummarySchema,
  ConnectionCreateSchema,
  ConnectionListQuerySchema,
  ConnectionListSchema,
  ConnectionPatchSchema,
  ConnectionSchema,
  ConsoleConfigSchema,
  connectionsFileJsonSchema,
  EventListQuerySchema,
  EventListSchema,
  JwksSchema,
  LoginInputSchema,
  MeSchema,
  OAuthErrorSchema,
  OpenIdConfigurationSchema,
  OrgEventListSchema,
  OrgEventQuerySchema,
  OrgPolicySchema,
  OrgPolicySettingsSchema,
  PolicyDryRunSchema,
  RegistryErrorSchema,
  RegistryTokenFormSchema,
  RegistryTokenQuerySchema,
  RegistryTokenResponseSchema,
  RepositoryListSchema,
  ResourceAccessSchema,
  SimulateInputSchema,
  SimulationSchema,
  TokenExchangeRequestSchema,
  TokenExchangeResponseSchema,
  UsageQuerySchema,
  UsageSchema,
  WebhookDeliveryListSchema,
  WebhookDeliverySchema,
  WebhookInputSchema,
  WebhookSchema,
  WebhookWithSecretSchema,
} from "@oidc/shared";
import { z } from "zod";

type Auth = "admin" | "session" | "none" | "accessToken" | "registryBasic";
type Body = { schema: z.ZodType; type: "json" | "form" | "form-or-json" };
interface Reply {
  description: string;
  schema?: z.ZodType;
  /** Content type of the body; JSON unless said. */
  type?: string;
  headers?: Record<string, string>;
}

export interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI form: `/api/orgs/{org}/oidc-connections/{id}`. */
  path: string;
  tag: string;
  summary: string;
  auth: Auth;
  /** Changes something: owners only (and, with a cookie, same-origin only). */
  owner?: boolean;
  query?: z.ZodObject;
  body?: Body;
  ifMatch?: "required" | "optional";
  responses: Record<number, Reply>;
}

const ORG = "/api/orgs/{org}";
const CONN = `${ORG}/oidc-connections`;
const ADMIN = "Admin API";
const TOKENS = "API tokens";
const TOKEN_SERVICE = "Token service";
const REGISTRY = "Registry token service";
const VISIBILITY = "Visibility";
const CONNECTION_HEADERS = { ETag: 'The connection\'s version, e.g. "3"; send it back as If-Match' };

/** Every endpoint of the product, in the order people read them. */
export const OPERATIONS: Operation[] = [
  {
    method: "post",
    path: "/api/auth/login",
    tag: "Sessions",
    summary: "Sign in: starts a session (HttpOnly cookie)",
    auth: "none",
    body: { schema: LoginInputSchema, type: "json" },
    responses: {
      200: { description: "Signed in; Set-Cookie carries the session", schema: MeSchema },
      401: { description: "Wrong email or password (`invalid_credentials`)", schema: ApiErrorSchema },
    },
  },
  {
    method: "post",
    path: "/api/auth/logout",
    tag: "Sessions",
    summary: "Sign out: ends the session",
    auth: "none",
    responses: { 204: { description: "Signed out; the cookie is cleared" } },
  },
  {
    method: "get",
    path: "/api/me",
    tag: "Sessions",
    summary: "The signed-in user and their memberships",
    auth: "session",
    responses: { 200: { description: "The user", schema: MeSchema } },
  },
  {
    method: "get",
    path: "/api/config",
    tag: "Sessions",
    summary: "Deployment facts for the console: the registry service the workflow snippet logs in to",
    auth: "session",
    responses: { 200: { description: "The configuration", schema: ConsoleConfigSchema } },
  },
  {
    method: "get",
    path: CONN,
    tag: ADMIN,
    summary: "List connections, newest first",
    auth: "admin",
    query: ConnectionListQuerySchema,
    responses: { 200: { description: "A page of connections", schema: ConnectionListSchema } },
  },
  {
    method: "post",
    path: CONN,
    tag: ADMIN,
    summary: "Create a connection",
    auth: "admin",
    owner: true,
    body: { schema: ConnectionCreateSchema, type: "json" },
    responses: {
      201: {
        description: "Created",
        schema: ConnectionSchema,
        headers: { Location: "The connection's URL", ...CONNECTION_HEADERS },
      },
      400: {
        description:
          "The body fails the shared schema (`validation_failed`), or its rulesets break the organisation's policy (`policy_violation`); `issues` at each field",
        schema: ApiErrorSchema,
      },
      409: { description: "The name is already used in the org (`name_taken`)", schema: ApiErrorSchema },
    },
  },
  {
    method: "get",
    path: `${CONN}/{id}`,
    tag: ADMIN,
    summary: "One connection with its rulesets and warnings",
    auth: "admin",
    responses: { 200: { description: "The connection", schema: ConnectionSchema, headers: CONNECTION_HEADERS } },
  },
  {
    method: "patch",
    path: `${CONN}/{id}`,
    tag: ADMIN,
    summary: "Change a connection (rulesets: the full new list; a ruleset that keeps its id keeps its history)",
    auth: "admin",
    owner: true,
    ifMatch: "required",
    body: { schema: ConnectionPatchSchema, type: "json" },
    responses: {
      200: { description: "The changed connection", schema: ConnectionSchema, headers: CONNECTION_HEADERS },
      400: {
        description:
          "The body fails the shared schema (`validation_failed`), or its rulesets break the organisation's policy (`policy_violation`); `issues` at each field",
        schema: ApiErrorSchema,
      },
      409: { description: "The name is already used in the org (`name_taken`)", schema: ApiErrorSchema },
      412: { description: "If-Match is not the current version (`precondition_failed`)", schema: ApiErrorSchema },
      428: { description: "No If-Match (`precondition_required`)", schema: ApiErrorSchema },
    },
  },
  {
    method: "delete",
    path: `${CONN}/{id}`,
    tag: ADMIN,
    summary: "Delete a connection (its audit events stay)",
    auth: "admin",
    owner: true,
    ifMatch: "optional",
    responses: {
      204: { description: "Deleted" },
      412: { description: "If-Match is not the current version", schema: ApiErrorSchema },
    },
  },
  ...(["deactivate", "activate"] as const).map(
    (action): Operation => ({
      method: "post",
      path: `${CONN}/{id}/${action}`,
      tag: ADMIN,
      summary: action === "deactivate" ? "Deactivate (idempotent; revokes the access tokens issued so far)" : "Activate (idempotent)",
      auth: "admin",
      owner: true,
      ifMatch: "optional",
      responses: {
        200: { description: "The connection with its new status", schema: ConnectionSchema, headers: CONNECTION_HEADERS },
        412: { description: "If-Match is not the current version", schema: ApiErrorSchema },
      },
    }),
  ),
  {
    method: "get",
    path: `${CONN}/{id}/events`,
    tag: ADMIN,
    summary: "The connection's audit events, newest first",
    auth: "admin",
    query: EventListQuerySchema,
    responses: { 200: { description: "A page of events", schema: EventListSchema } },
  },
  {
    method: "post",
    path: `${CONN}/{id}/simulate`,
    tag: ADMIN,
    summary: "Evaluate claims or a (decoded, not verified) token against the saved rulesets",
    auth: "admin",
    body: { schema: SimulateInputSchema, type: "json" },
    responses: {
      200: {
        description: "The decision (SPEC §4.5 with the connection's status), why it refuses, and the claims used",
        schema: SimulationSchema,
      },
    },
  },
  {
    method: "get",
    path: `${CONN}/{id}/audit`,
    tag: ADMIN,
    summary: "Per audit ruleset: token exchanges it would have matched in the last 30 days, the last one, the repositories",
    auth: "admin",
    responses: { 200: { description: "The audit rulesets' matches", schema: AuditSummarySchema } },
  },
  {
    method: "get",
    path: `${ORG}/policy`,
    tag: ADMIN,
    summary: "The organisation's policy (defaults, version 0, until first saved)",
    auth: "admin",
    responses: {
      200: {
        description: "The policy",
        schema: OrgPolicySchema,
        headers: { ETag: 'The policy\'s version, e.g. "2"; send it back as If-Match' },
      },
    },
  },
  {
    method: "put",
    path: `${ORG}/policy`,
    tag: ADMIN,
    summary: "Replace the organisation's policy (owners); connections that break it are flagged, new saves must comply",
    auth: "admin",
    owner: true,
    ifMatch: "required",
    body: { schema: OrgPolicySettingsSchema, type: "json" },
    responses: {
      200: { description: "The policy", schema: OrgPolicySchema, headers: { ETag: "The policy's new version" } },
      412: { description: "If-Match is not the current version (`precondition_failed`)", schema: ApiErrorSchema },
      428: { description: "No If-Match (`precondition_required`)", schema: ApiErrorSchema },
    },
  },
  {
    method: "post",
    path: `${ORG}/policy/dry-run`,
    tag: ADMIN,
    summary: "What these policy settings would flag among the org's connections, without saving them (members too)",
    auth: "admin",
    body: { schema: OrgPolicySettingsSchema, type: "json" },
    responses: { 200: { description: "Flagged and capped connections", schema: PolicyDryRunSchema } },
  },
  {
    method: "get",
    path: `${ORG}/repositories`,
    tag: ADMIN,
    summary: "The org's repositories (the selectable resources)",
    auth: "admin",
    responses: { 200: { description: "The repositories", schema: RepositoryListSchema } },
  },
  {
    method: "get",
    path: `${ORG}/api-tokens`,
    tag: TOKENS,
    summary: "List the org's API tokens (never the secret)",
    auth: "admin",
    responses: { 200: { description: "The tokens", schema: ApiTokenListSchema } },
  },
  {
    method: "post",
    path: `${ORG}/api-tokens`,
    tag: TOKENS,
    summary: "Create an API token (a signed-in owner only); the secret is in this answer only",
    auth: "admin",
    owner: true,
    body: { schema: ApiTokenCreateSchema, type: "json" },
    responses: {
      201: { description: "Created; `token` is shown once", schema: ApiTokenCreatedSchema, headers: { Location: "The token's URL" } },
    },
  },
  {
    method: "delete",
    path: `${ORG}/api-tokens/{id}`,
    tag: TOKENS,
    summary: "Revoke an API token (a signed-in owner only)",
    auth: "admin",
    owner: true,
    responses: { 204: { description: "Revoked" } },
  },
  // SPEC §12 Visibility
  {
    method: "get",
    path: `${CONN}/{id}/usage`,
    tag: VISIBILITY,
    summary: "Exchanges and denials per UTC day, per-ruleset counts, repositories new in the last 7 days",
    auth: "admin",
    query: UsageQuerySchema,
    responses: { 200: { description: "The usage", schema: UsageSchema } },
  },
  {
    method: "get",
    path: `${ORG}/events`,
    tag: VISIBILITY,
    summary:
      "The organisation's events (every connection, deleted ones included, and the org's own), newest first; `format=csv|ndjson` streams the whole filtered set as a download",
    auth: "admin",
    query: OrgEventQuerySchema,
    responses: {
      200: {
        description: "A page of events; with `format`, a CSV or NDJSON attachment of every matching event",
        schema: OrgEventListSchema,
      },
    },
  },
  {
    method: "get",
    path: `${ORG}/webhook`,
    tag: VISIBILITY,
    summary: "The organisation's webhook (never its secret)",
    auth: "admin",
    responses: { 200: { description: "The webhook", schema: WebhookSchema }, 404: { description: "No webhook", schema: ApiErrorSchema } },
  },
  {
    method: "put",
    path: `${ORG}/webhook`,
    tag: VISIBILITY,
    summary: "Create or change the webhook: its URL and the event types it receives; a new webhook's secret is in the 201 answer only",
    auth: "admin",
    owner: true,
    body: { schema: WebhookInputSchema, type: "json" },
    responses: {
      200: { description: "Changed (the secret is kept)", schema: WebhookSchema },
      201: { description: "Created; `secret` is shown once", schema: WebhookWithSecretSchema },
    },
  },
  {
    method: "delete",
    path: `${ORG}/webhook`,
    tag: VISIBILITY,
    summary: "Remove the webhook; deliveries still waiting are given up",
    auth: "admin",
    owner: true,
    responses: { 204: { description: "Removed" } },
  },
  {
    method: "post",
    path: `${ORG}/webhook/rotate-secret`,
    tag: VISIBILITY,
    summary: "A new signing secret, shown once; the old one stops signing at once",
    auth: "admin",
    owner: true,
    responses: { 200: { description: "The webhook with its new `secret`", schema: WebhookWithSecretSchema } },
  },
  {
    method: "post",
    path: `${ORG}/webhook/test`,
    tag: VISIBILITY,
    summary: "Queue a `webhook.test` delivery",
    auth: "admin",
    owner: true,
    responses: { 202: { description: "Queued", schema: WebhookDeliverySchema } },
  },
  {
    method: "get",
    path: `${ORG}/webhook/deliveries`,
    tag: VISIBILITY,
    summary: "The 50 most recent deliveries with their status codes",
    auth: "admin",
    responses: { 200: { description: "The deliveries", schema: WebhookDeliveryListSchema } },
  },
  {
    method: "get",
    path: "/api/openapi.json",
    tag: "Documentation",
    summary: "This document",
    auth: "none",
    responses: { 200: { description: "OpenAPI 3.1", schema: z.record(z.string(), z.unknown()) } },
  },
  {
    method: "get",
    path: "/api/docs",
    tag: "Documentation",
    summary: "This document, rendered for people",
    auth: "none",
    responses: { 200: { description: "An HTML page", type: "text/html" } },
  },
  {
    method: "get",
    path: "/api/docs.js",
    tag: "Documentation",
    summary: "The script of the documentation page",
    auth: "none",
    responses: { 200: { description: "JavaScript", type: "text/javascript" } },
  },
  {
    method: "get",
    path: "/api/connections-file.schema.json",
    tag: "Documentation",
    summary: "JSON Schema of a connections-as-code file (for editors)",
    auth: "none",
    responses: { 200: { description: "JSON Schema (draft 2020-12)", schema: z.record(z.string(), z.unknown()) } },
  },
  {
    method: "post",
    path: "/oauth/token",
    tag: TOKEN_SERVICE,
    summary: "Exchange a GitHub Actions OIDC ID token for an access token (RFC 8693)",
    auth: "none",
    body: { schema: TokenExchangeRequestSchema, type: "form-or-json" },
    responses: {
      200: { description: "The access token (Cache-Control: no-store)", schema: TokenExchangeResponseSchema },
      400: { description: "RFC 6749 §5.2 error; the description says what failed and carries a request id", schema: OAuthErrorSchema },
      413: { description: "Body over 64 KiB", schema: OAuthErrorSchema },
      429: { description: "Too many requests; Retry-After", schema: OAuthErrorSchema },
      503: { description: "Temporarily unavailable; Retry-After", schema: OAuthErrorSchema },
    },
  },
  {
    method: "get",
    path: "/api/v1/repositories/{org}/{repo}/access",
    tag: TOKEN_SERVICE,
    summary: "What an access token grants on one repository (for resource servers)",
    auth: "accessToken",
    responses: {
      200: { description: "The granted actions", schema: ResourceAccessSchema },
      401: { description: "Missing, invalid, expired or revoked token", schema: ApiErrorSchema },
      403: { description: "The token grants nothing on this repository", schema: ApiErrorSchema },
      429: { description: "Too many requests", schema: ApiErrorSchema },
      503: { description: "Revocation cannot be checked at the moment", schema: ApiErrorSchema },
    },
  },
  {
    method: "get",
    path: "/.well-known/openid-configuration",
    tag: TOKEN_SERVICE,
    summary: "Discovery document of the access tokens' issuer",
    auth: "none",
    responses: { 200: { description: "Discovery", schema: OpenIdConfigurationSchema } },
  },
  {
    method: "get",
    path: "/.well-known/jwks.json",
    tag: TOKEN_SERVICE,
    summary: "Public keys that verify access tokens",
    auth: "none",
    responses: { 200: { description: "JWKS", schema: JwksSchema } },
  },
  {
    method: "get",
    path: "/registry/token",
    tag: REGISTRY,
    summary: "Docker Registry v2 token (docker login, pull, push): Basic auth with an access token as the password",
    auth: "registryBasic",
    query: RegistryTokenQuerySchema,
    responses: {
      200: { description: "A registry token", schema: RegistryTokenResponseSchema },
      400: { description: "Unknown service or malformed request", schema: RegistryErrorSchema },
      401: { description: "No valid access token; WWW-Authenticate: Basic", schema: RegistryErrorSchema },
      429: { description: "Too many requests (the token endpoint's budgets); Retry-After", schema: RegistryErrorSchema },
      503: { description: "Temporarily unavailable; Retry-After", schema: RegistryErrorSchema },
    },
  },
  {
    method: "post",
    path: "/registry/token",
    tag: REGISTRY,
    summary: "Registry token, the containerd/buildkit form (grant_type=password)",
    auth: "none",
    body: { schema: RegistryTokenFormSchema, type: "form" },
    responses: {
      200: { description: "A registry token", schema: RegistryTokenResponseSchema },
      400: { description: "Unknown service, malformed request or a body over 64 KiB", schema: RegistryErrorSchema },
      401: { description: "No valid access token", schema: RegistryErrorSchema },
      429: { description: "Too many requests (the token endpoint's budgets); Retry-After", schema: RegistryErrorSchema },
      503: { description: "Temporarily unavailable; Retry-After", schema: RegistryErrorSchema },
    },
  },
  {
    method: "get",
    path: "/registry/ca.pem",
    tag: REGISTRY,
    summary: "The registry CA certificate (the registry's rootcertbundle)",
    auth: "none",
    responses: { 200: { description: "PEM certificate", type: "application/x-pem-file" } },
  },
  {
    method: "get",
    path: "/healthz",
    tag: "Operations",
    summary: "Liveness",
    auth: "none",
    responses: { 200: { description: "Alive", schema: z.object({ status: z.literal("ok") }) } },
  },
  {
    method: "get",
    path: "/readyz",
    tag: "Operations",
    summary: "Readiness (the database answers)",
    auth: "none",
    responses: {
      200: { description: "Ready", schema: z.object({ status: z.literal("ready") }) },
      503: { description: "The database does not answer", schema: z.object({ status: z.literal("unavailable"), reason: z.string() }) },
    },
  },
  {
    method: "get",
    path: "/metrics",
    tag: "Operations",
    summary:
      "Prometheus metrics (docs/operations.md). On this port only outside production, or with `Authorization: Bearer <METRICS_TOKEN>`; otherwise on METRICS_PORT or not at all (404)",
    auth: "none",
    responses: {
      200: { description: "The Prometheus text format", type: "text/plain; version=0.0.4; charset=utf-8" },
      401: { description: "METRICS_TOKEN is set and the request does not carry it", schema: ApiErrorSchema },
    },
  },
];

/** Component names of the shared schemas; anything else is inlined. */
const NAMED: [z.ZodType, string][] = [
  [ApiErrorSchema, "Error"],
  [ConnectionSchema, "Connection"],
  [ConnectionListSchema, "ConnectionList"],
  [ConnectionCreateSchema, "ConnectionCreate"],
  [ConnectionPatchSchema, "ConnectionPatch"],
  [EventListSchema, "EventList"],
  [SimulateInputSchema, "SimulateInput"],
  [RepositoryListSchema, "RepositoryList"],
  [LoginInputSchema, "LoginInput"],
  [MeSchema, "Me"],
  [ApiTokenCreateSchema, "ApiTokenCreate"],
  [ApiTokenCreatedSchema, "ApiTokenCreated"],
  [ApiTokenListSchema, "ApiTokenList"],
  [TokenExchangeRequestSchema, "TokenExchangeRequest"],
  [TokenExchangeResponseSchema, "TokenExchangeResponse"],
  [OAuthErrorSchema, "OAuthError"],
  [RegistryTokenFormSchema, "RegistryTokenForm"],
  [RegistryTokenResponseSchema, "RegistryTokenResponse"],
  [RegistryErrorSchema, "RegistryError"],
];

type JsonSchema = Record<string, unknown>;

/** zod → JSON Schema for OpenAPI 3.1: refinements cannot be expressed and are left to the server. */
function toSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any" }) as JsonSchema;
  return rest;
}

/** The connections-as-code file's JSON Schema, published beside this document. */
export const connectionsFileSchemaDocument = (publicUrl: string) =>
  connectionsFileJsonSchema(`${publicUrl}/api/connections-file.schema.json`);

export interface DocumentOptions {
  publicUrl: string;
  sessionCookie: string;
}

export function buildOpenApiDocument(options: DocumentOptions) {
  const components: Record<string, JsonSchema> = {};
  const names = new Map(NAMED);
  const schemaRef = (schema: z.ZodType, io: "input" | "output"): JsonSchema => {
    const name = names.get(schema);
    if (!name) return toSchema(schema, io);
    components[name] ??= toSchema(schema, io);
    return { $ref: `#/components/schemas/${name}` };
  };
  const error = (description: string): JsonSchema => ({
    description,
    content: { "application/json": { schema: schemaRef(ApiErrorSchema, "output") } },
  });

  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const parameters: JsonSchema[] = [];
    for (const m of op.path.matchAll(/\{(\w+)\}/g)) {
      const name = m[1] as string;
      const schema = name === "id" ? { type: "string", format: "uuid" } : { type: "string" };
      parameters.push({ name, in: "path", required: true, schema });
    }
    if (op.query) {
      const object = toSchema(op.query, "output") as { properties?: Record<string, JsonSchema>; required?: string[] };
      const optional = op.query.shape as Record<string, z.ZodType>;
      for (const [name, schema] of Object.entries(object.properties ?? {})) {
        const required = !(optional[name]?.safeParse(undefined).success ?? true);
        parameters.push({ name, in: "query", required, schema, ...(schema.description ? { description: schema.description } : {}) });
      }
    }
    if (op.ifMatch)
      parameters.push({
        name: "If-Match",
        in: "header",
        required: op.ifMatch === "required",
        description: 'The version from the ETag, e.g. "3"',
        schema: { type: "string" },
      });

    const responses: Record<string, unknown> = {};
    for (const [status, reply] of Object.entries(op.responses)) {
      const type = reply.type ?? "application/json";
      responses[status] = {
        description: reply.description,
        ...(reply.headers
          ? {
              headers: Object.fromEntries(
                Object.entries(reply.headers).map(([h, d]) => [h, { description: d, schema: { type: "string" } }]),
              ),
            }
          : {}),
        ...(reply.schema
          ? { content: { [type]: { schema: schemaRef(reply.schema, "output") } } }
          : reply.type
            ? { content: { [type]: { schema: { type: "string" } } } }
            : {}),
      };
    }
    const admin = op.auth === "admin" || op.auth === "session";
    if (admin) {
      if (op.query || op.body) responses["400"] ??= error("The body or query fails the shared schema (`validation_failed`, with `issues`)");
      responses["401"] ??= error("No, expired or revoked session or API token (`unauthenticated`)");
      if (op.owner || op.method !== "get")
        responses["403"] ??= error("A member (or member-role token), or a cross-site request (`forbidden`)");
      if (op.auth === "admin") responses["404"] ??= error("Unknown, or not visible to the caller (`not_found`)");
      responses["429"] ??= error("Too many requests (`rate_limited`); Retry-After");
    } else if (op.path.startsWith("/api/auth/")) {
      if (op.body) responses["400"] ??= error("The body fails the shared schema (`validation_failed`)");
      responses["403"] ??= error("A cross-site request, or a cookie write without Origin / Sec-Fetch-Site: same-origin (`forbidden`)");
      responses["429"] ??= error("Too many requests (`rate_limited`); Retry-After");
    }
    if (op.body?.type === "json" && op.path.startsWith("/api/")) responses["413"] ??= error("Body over 1 MiB (`payload_too_large`)");

    const security =
      op.auth === "admin"
        ? [{ cookieAuth: [] }, { apiToken: [] }]
        : op.auth === "session"
          ? [{ cookieAuth: [] }]
          : op.auth === "accessToken"
            ? [{ accessToken: [] }]
            : op.auth === "registryBasic"
              ? [{ registryBasic: [] }]
              : [];

    let requestBody: JsonSchema | undefined;
    if (op.body) {
      const schema = schemaRef(op.body.schema, "input");
      const content: Record<string, unknown> = {};
      if (op.body.type !== "json") content["application/x-www-form-urlencoded"] = { schema };
      if (op.body.type !== "form") content["application/json"] = { schema };
      requestBody = { required: true, content };
    }

    const operationId = `${op.method}${op.path
      .replace(/\{(\w+)\}/g, "by-$1")
      .split(/[^A-Za-z0-9]+/)
      .filter(Boolean)
      .map((w) => w[0]?.toUpperCase() + w.slice(1))
      .join("")}`;
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, unknown>)[op.method] = {
      operationId,
      tags: [op.tag],
      summary: op.summary,
      ...(op.owner ? { description: "Owners only: an owner session or an owner-role API token." } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
      security,
    };
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "OIDC Connections",
      version: "1.0.0",
      description:
        "Admin API (SPEC §5, §10), token service (§6) and registry token service (§9). Generated from the shared zod schemas that validate every request. Admin errors are `{error: {code, message, issues?}}`; the token endpoint answers RFC 6749 errors.",
    },
    servers: [{ url: options.publicUrl }],
    tags: [ADMIN, TOKENS, "Sessions", TOKEN_SERVICE, REGISTRY, "Documentation", "Operations"].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        cookieAuth: {
          type: "apiKey",
          in: "cookie",
          name: options.sessionCookie,
          description:
            "The console's session (POST /api/auth/login). State-changing requests also need Origin equal to this site or Sec-Fetch-Site: same-origin.",
        },
        apiToken: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "oidcc_…",
          description: "An organisation's API token; works only under /api/orgs/<its org>/; its role caps what it may do.",
        },
        accessToken: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "An access token from /oauth/token." },
        registryBasic: {
          type: "http",
          scheme: "basic",
          description: "Any username (the org slug by convention) and an access token from /oauth/token as the password.",
        },
      },
    },
  };
}
