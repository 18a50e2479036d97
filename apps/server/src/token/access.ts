import { errors, jwtVerify } from "jose";
import { readRevocation } from "../db/admin-reads";
import type { DatabaseHandle } from "../db/client";
import type { Env } from "../env";
import { ACCESS_TOKEN_ALG, type SigningKeyStore } from "./keys";

export interface AccessGrant {
  type: "repository";
  name: string;
  actions: string[];
}

export interface AccessClaims {
  sub: string;
  jti?: string;
  repository?: string;
  ref?: string;
  iat: number;
  /** The issue time in milliseconds (tokens issued before it existed carry only iat). */
  iat_ms?: number;
  exp: number;
  org: string;
  connection_id: string;
  access: AccessGrant[];
}

/** Why a Bearer token is refused (401); the message goes into WWW-Authenticate and the body. */
export class InvalidAccessToken extends Error {}

/** Our access tokens' `typ` (RFC 9068). */
export const ACCESS_TOKEN_TYP = "at+jwt";

/** jose's refusal → our message (the tests and clients read these); any other error is rethrown. */
function refusal(error: unknown): InvalidAccessToken {
  if (error instanceof InvalidAccessToken) return error;
  // Not a verdict on the token (the keys could not be read: the database): the caller answers 503.
  if (!(error instanceof errors.JOSEError)) throw error;
  if (error instanceof errors.JWSSignatureVerificationFailed) return new InvalidAccessToken("Bad signature");
  if (error instanceof errors.JWTExpired) return new InvalidAccessToken("The token has expired");
  if (error instanceof errors.JOSEAlgNotAllowed) return new InvalidAccessToken("The token is not one of our access tokens");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "typ") return new InvalidAccessToken("The token is not one of our access tokens");
    if ((error.claim === "iss" || error.claim === "aud") && error.reason === "check_failed")
      return new InvalidAccessToken("The token is not for this service");
  }
  return new InvalidAccessToken("The token is malformed");
}

/**
 * Verifies one of our access tokens (SPEC §6.5) with jose's `jwtVerify`: our signature (the key
 * named by `kid`, current or retired but published), `alg`, `typ`, `iss`, `aud`, `exp` and the
 * claims we need; then that its connection still exists, is active, and was not deactivated after
 * the token was issued (read now: revocation holds at once, on every instance).
 */
export async function verifyAccessToken(token: string, env: Env, keys: SigningKeyStore, database: DatabaseHandle): Promise<AccessClaims> {
  if (token.length > 8192) throw new InvalidAccessToken("The token is too large");
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(
      token,
      async (header) => {
        if (header.typ !== ACCESS_TOKEN_TYP || typeof header.kid !== "string")
          throw new InvalidAccessToken("The token is not one of our access tokens");
        const key = await keys.verificationKey(header.kid);
        if (!key) throw new InvalidAccessToken("The token is signed with an unknown key");
        return key;
      },
      {
        issuer: env.publicUrl,
        audience: env.accessTokenAudience,
        algorithms: [ACCESS_TOKEN_ALG],
        typ: ACCESS_TOKEN_TYP,
        requiredClaims: ["exp", "iat", "connection_id", "org", "access"],
      },
    ));
  } catch (error) {
    throw refusal(error);
  }
  if (typeof claims.connection_id !== "string" || typeof claims.org !== "string" || !Array.isArray(claims.access))
    throw new InvalidAccessToken("The token is malformed");
  // One prepared statement (db/admin-reads.ts); our own signature vouches for connection_id being one of our ids.
  const connection = await readRevocation(database, claims.connection_id);
  if (!connection) throw new InvalidAccessToken("The token has been revoked: its connection was deleted");
  if (connection.status !== "active") throw new InvalidAccessToken("The token has been revoked: its connection is inactive");
  // tokensValidAfter is the last deactivation or re-activation (milliseconds); iat_ms says when the
  // token was issued to the millisecond (tokens from before it existed: iat, whole seconds).
  const issuedAtMs = typeof claims.iat_ms === "number" ? claims.iat_ms : (claims.iat as number) * 1000;
  if (connection.tokensValidAfterMs !== null && issuedAtMs < connection.tokensValidAfterMs)
    throw new InvalidAccessToken("The token has been revoked: its connection was deactivated after it was issued");
  return claims as unknown as AccessClaims;
}
