import { DEFAULT_EXPIRES_IN_SECONDS, type TokenExchangeRequest, TokenExchangeRequestSchema } from "@oidc/shared";
import type { Env } from "../env";
import { invalidRequest, TokenError } from "./errors";

/**
 * A token request as the route validated it (SPEC §6.1): either every parameter is right, or the
 * first problem — kept, with the connection ID when it is one, because a refusal for a known
 * connection is recorded as `token.denied` and an unknown connection is answered as such first.
 */
export type ExchangeRequest =
  | { ok: true; connectionId: string; subjectToken: string; expiresIn: number }
  | { ok: false; error: TokenError; connectionId: string | undefined };

/** The parameters read (`scope` is ignored, so never refused for a repeat). */
const NAMES = Object.keys(TokenExchangeRequestSchema.shape).filter((name) => name !== "scope");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates the parameters with the shared `TokenExchangeRequestSchema`, then the target (this deployment's audience). */
export function parseExchangeRequest(params: URLSearchParams, env: Pick<Env, "accessTokenAudience" | "publicUrl">): ExchangeRequest {
  const candidate = params.get("connection_id");
  const connectionId = candidate && UUID.test(candidate) ? candidate : undefined;
  const refuse = (error: TokenError): ExchangeRequest => ({ ok: false, error, connectionId });
  // One value per parameter: a repeat is refused before anything else.
  const values: Record<string, string> = {};
  for (const name of NAMES) {
    const all = params.getAll(name);
    if (all.length > 1) return refuse(invalidRequest(`The parameter ${name} is given more than once`));
    if (all[0] !== undefined) values[name] = all[0];
  }
  const parsed = TokenExchangeRequestSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path[0];
    const message = issue?.message ?? "The request is malformed";
    // A grant type given but not ours is RFC 6749's unsupported_grant_type; every other problem is invalid_request.
    if (field === "grant_type" && values.grant_type)
      return refuse(new TokenError(400, "unsupported_grant_type", "malformed_request", message));
    return refuse(invalidRequest(message));
  }
  const request: TokenExchangeRequest = parsed.data;
  for (const name of ["audience", "resource"] as const) {
    const value = request[name];
    if (value !== undefined && value !== env.accessTokenAudience && value !== env.publicUrl)
      return refuse(
        new TokenError(
          400,
          "invalid_target",
          "invalid_target",
          `This service issues tokens only for ${env.accessTokenAudience}; drop the ${name} parameter`,
        ),
      );
  }
  return {
    ok: true,
    connectionId: request.connection_id,
    subjectToken: request.subject_token,
    expiresIn: request.expires_in === undefined ? DEFAULT_EXPIRES_IN_SECONDS : Number(request.expires_in),
  };
}
