/**
 * The RFC 8693 (OAuth 2.0 Token Exchange) names this product uses: their one home. Plain
 * constants, no imports, so the GitHub Action can bundle them without the rest of this package.
 */

/** `grant_type` of a token exchange. */
export const TOKEN_EXCHANGE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
/** `subject_token_type` of a GitHub Actions OIDC ID token. */
export const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
/** `subject_token_type` accepted as the same thing (a JWT). */
export const JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";
/** `issued_token_type` of what we issue. */
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

/** What `subject_token_type` may say (SPEC §6.1). */
export const SUBJECT_TOKEN_TYPES = [ID_TOKEN_TYPE, JWT_TOKEN_TYPE] as const;
/** What `requested_token_type` may say, when given. */
export const REQUESTED_TOKEN_TYPES = [ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE] as const;
