import type { TokenErrorCode } from "@oidc/shared";

/**
 * Token endpoint failures (SPEC §6.1): RFC 6749 §5.2 `{error, error_description}`. `reason` is the
 * stable code written to the `token.denied` event; the description says what failed without
 * revealing the connection's configuration.
 */
export type OAuthErrorCode = TokenErrorCode;

export type DenialReason =
  | "malformed_request"
  | "malformed_token"
  | "unsupported_token"
  | "bad_signature"
  | "unknown_key"
  | "expired"
  | "not_yet_valid"
  | "too_old"
  | "missing_claim"
  | "untrusted_issuer"
  | "audience_mismatch"
  | "unknown_connection"
  | "connection_inactive"
  | "replay"
  | "no_matching_ruleset"
  /** SPEC §11: no ruleset matches, but an expired one would have (the caller is told "no ruleset matches"). */
  | "ruleset_expired"
  | "invalid_target"
  | "rate_limited"
  | "issuer_unavailable"
  | "database_unavailable"
  /** Internal: the connection changed between reading it and recording the exchange; decided again. */
  | "connection_changed";

export class TokenError extends Error {
  /** Extra facts for the `token.denied` event (never sent to the caller). */
  details: Record<string, unknown> | undefined;

  constructor(
    public readonly status: 400 | 413 | 429 | 500 | 503,
    public readonly error: OAuthErrorCode,
    public readonly reason: DenialReason,
    public readonly description: string,
    public readonly retryAfterSeconds?: number,
  ) {
    super(description);
    this.name = "TokenError";
  }
}

export const invalidRequest = (description: string) => new TokenError(400, "invalid_request", "malformed_request", description);
export const invalidGrant = (reason: DenialReason, description: string) => new TokenError(400, "invalid_grant", reason, description);
export const unavailable = (reason: DenialReason, description: string, retryAfterSeconds = 5) =>
  new TokenError(503, "temporarily_unavailable", reason, description, retryAfterSeconds);
