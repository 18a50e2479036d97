import type { DenialReason, EventDetails, TokenErrorCode } from "@oidc/shared";

/**
 * Token endpoint failures (SPEC §6.1): RFC 6749 §5.2 `{error, error_description}`. `reason` is the
 * stable code written to the `token.denied` event; the description says what failed without
 * revealing the connection's configuration.
 */
export type OAuthErrorCode = TokenErrorCode;

/** The reason codes (shared: `DENIAL_REASONS`), written to `token.denied` events. */
export type { DenialReason };

export class TokenError extends Error {
  /** Extra facts for the `token.denied` event (never sent to the caller). */
  details: Pick<EventDetails<"token.denied">, "expired" | "diagnosis" | "audit"> | undefined;

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
