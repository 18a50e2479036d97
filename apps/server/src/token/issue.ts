import type { evaluateRulesets } from "@oidc/shared";
import { SignJWT } from "jose";
import type { Env } from "../env";
import { ACCESS_TOKEN_TYP } from "./access";
import type { ConnectionConfig } from "./config-cache";
import { ACCESS_TOKEN_ALG, type SigningKeyStore } from "./keys";
import type { VerifiedClaims } from "./verify";

/** The access token's `access` claim (SPEC §6.3). */
export type AccessClaim = { type: "repository"; name: string; actions: string[] }[];

/**
 * Signs an access token (SPEC §6.3) with the current ES256 key: `iss`, `sub`, `aud`, `iat`, `exp`,
 * `jti`, and what the decision granted; `iat_ms` (the issue time in milliseconds) is what the
 * revocation check compares with `tokensValidAfter` (SPEC §6.4).
 */
export async function signAccessToken(
  env: Pick<Env, "publicUrl" | "accessTokenAudience">,
  keys: SigningKeyStore,
  input: {
    connection: ConnectionConfig;
    claims: VerifiedClaims;
    decision: ReturnType<typeof evaluateRulesets>;
    jti: string;
    issuedAtMs: number;
    ttl: number;
  },
): Promise<string> {
  const { connection, claims, decision, issuedAtMs } = input;
  const { kid, key } = await keys.signingKey();
  const now = Math.floor(issuedAtMs / 1000);
  const access: AccessClaim = decision.access.map((g) => ({ type: "repository", name: g.resource, actions: g.scopes }));
  return new SignJWT({
    org: connection.orgSlug,
    connection_id: connection.id,
    rulesets: decision.matched,
    access,
    repository: claims.repository,
    ref: claims.ref,
    sha: claims.sha,
    run_id: claims.run_id,
    iat_ms: issuedAtMs,
  })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid, typ: ACCESS_TOKEN_TYP })
    .setIssuer(env.publicUrl)
    .setSubject(claims.sub)
    .setAudience(env.accessTokenAudience)
    .setIssuedAt(now)
    .setExpirationTime(now + input.ttl)
    .setJti(input.jti)
    .sign(key);
}
