import { isObject } from "@oidc/shared";
import { eq } from "drizzle-orm";
import { compactVerify, errors } from "jose";
import type { DatabaseHandle } from "../db/client";
import { connections } from "../db/schema";
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

/**
 * Verifies one of our access tokens (SPEC §6.5): our signature, typ, iss, aud, exp, and that its
 * connection still exists, is active, and was not deactivated after the token was issued.
 */
export async function verifyAccessToken(token: string, env: Env, keys: SigningKeyStore, database: DatabaseHandle): Promise<AccessClaims> {
  if (token.length > 8192) throw new InvalidAccessToken("The token is too large");
  const parts = token.split(".");
  if (parts.length !== 3) throw new InvalidAccessToken("The token is malformed");
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0] as string, "base64url").toString("utf8"));
  } catch {
    throw new InvalidAccessToken("The token is malformed");
  }
  if (!isObject(header) || header.alg !== ACCESS_TOKEN_ALG || header.typ !== "at+jwt" || typeof header.kid !== "string")
    throw new InvalidAccessToken("The token is not one of our access tokens");
  const key = await keys.verificationKey(header.kid);
  if (!key) throw new InvalidAccessToken("The token is signed with an unknown key");
  let claims: Record<string, unknown>;
  try {
    const { payload } = await compactVerify(token, key, { algorithms: [ACCESS_TOKEN_ALG] });
    claims = JSON.parse(new TextDecoder().decode(payload));
  } catch (error) {
    throw new InvalidAccessToken(error instanceof errors.JWSSignatureVerificationFailed ? "Bad signature" : "The token is malformed");
  }
  const now = Date.now() / 1000;
  if (claims.iss !== env.publicUrl || claims.aud !== env.accessTokenAudience)
    throw new InvalidAccessToken("The token is not for this service");
  if (typeof claims.exp !== "number" || now >= claims.exp) throw new InvalidAccessToken("The token has expired");
  if (
    typeof claims.iat !== "number" ||
    typeof claims.connection_id !== "string" ||
    typeof claims.org !== "string" ||
    !Array.isArray(claims.access)
  )
    throw new InvalidAccessToken("The token is malformed");
  const [connection] = await database.db
    .select({ status: connections.status, tokensValidAfter: connections.tokensValidAfter })
    .from(connections)
    .where(eq(connections.id, claims.connection_id));
  if (!connection) throw new InvalidAccessToken("The token has been revoked: its connection was deleted");
  if (connection.status !== "active") throw new InvalidAccessToken("The token has been revoked: its connection is inactive");
  // tokensValidAfter is the last deactivation or re-activation (milliseconds); iat_ms says when the
  // token was issued to the millisecond (tokens from before it existed: iat, whole seconds).
  const issuedAtMs = typeof claims.iat_ms === "number" ? claims.iat_ms : claims.iat * 1000;
  if (connection.tokensValidAfter && issuedAtMs < connection.tokensValidAfter.getTime())
    throw new InvalidAccessToken("The token has been revoked: its connection was deactivated after it was issued");
  return claims as unknown as AccessClaims;
}
