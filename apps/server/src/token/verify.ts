import { type CryptoKey, compactVerify, errors } from "jose";
import { invalidGrant, TokenError } from "./errors";

/** Largest subject token accepted (SPEC §6.2), checked before any parsing. */
export const MAX_SUBJECT_TOKEN_LENGTH = 16 * 1024;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Header parameters that carry or point at key material: never trusted (SPEC §6.2). */
const KEY_MATERIAL_HEADERS = ["jwk", "jku", "x5u", "x5c"] as const;

export interface ParsedToken {
  compact: string;
  kid: string;
  /** Decoded, not yet verified: only `verifySignature` makes it trustworthy. */
  claims: Record<string, unknown>;
}

export interface VerifiedClaims extends Record<string, unknown> {
  iss: string;
  sub: string;
  jti: string;
  iat: number;
  exp: number;
}

const malformed = (what: string) => invalidGrant("malformed_token", `Malformed token: ${what}`);
const unsupported = (what: string) => invalidGrant("unsupported_token", what);

function decodeSegment(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
  } catch {
    throw malformed(`the ${what} is not base64url-encoded JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw malformed(`the ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * Structure and header checks, no cryptography: compact JWS only, RS256 only, no key material in
 * the header, no `crit`, a `kid`. Cheap, so garbage is refused before any key lookup.
 */
export function parseSubjectToken(token: string): ParsedToken {
  if (token.length > MAX_SUBJECT_TOKEN_LENGTH) throw malformed(`the token is larger than ${MAX_SUBJECT_TOKEN_LENGTH} bytes`);
  const trimmed = token.trimStart();
  if (trimmed.startsWith("{")) throw unsupported("The JWS JSON serialisation is not accepted; send the compact form");
  const parts = token.split(".");
  if (parts.length === 5) throw unsupported("Encrypted tokens (JWE) are not accepted; send the signed ID token");
  if (parts.length !== 3) throw malformed("not a compact JWS (header.payload.signature)");
  const [h, p, s] = parts as [string, string, string];
  if (!BASE64URL.test(h) || !BASE64URL.test(p)) throw malformed("the header or payload is not base64url");
  const header = decodeSegment(h, "header");
  const alg = header.alg;
  if (alg === "none" || alg === undefined) throw unsupported("Unsigned tokens (alg none) are not accepted");
  if (typeof alg !== "string") throw malformed("alg is not a string");
  if (/^HS/i.test(alg)) throw unsupported("HMAC-signed tokens are not accepted; the issuer signs with RS256");
  if (alg !== "RS256") throw unsupported(`Algorithm ${JSON.stringify(alg.slice(0, 20))} is not accepted; only RS256`);
  for (const name of KEY_MATERIAL_HEADERS) {
    if (header[name] !== undefined) throw unsupported(`Key material in the token header (${name}) is not accepted`);
  }
  if (header.crit !== undefined) throw unsupported("Tokens with critical header parameters (crit) are not accepted");
  if (header.b64 !== undefined) throw unsupported("Unencoded payloads (b64) are not accepted");
  if (typeof header.kid !== "string" || header.kid.length === 0 || header.kid.length > 256) throw malformed("the header has no kid");
  if (s.length === 0 || !BASE64URL.test(s)) throw malformed("the signature is missing or not base64url");
  return { compact: token, kid: header.kid, claims: decodeSegment(p, "payload") };
}

/** RS256 signature check with the issuer's key; jose re-checks the header it verifies. */
export async function verifySignature(token: ParsedToken, key: CryptoKey): Promise<void> {
  try {
    await compactVerify(token.compact, key, { algorithms: ["RS256"] });
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) throw invalidGrant("bad_signature", "Bad signature");
    if (error instanceof TokenError) throw error;
    throw malformed(error instanceof errors.JOSEError ? error.message : "cannot be verified");
  }
}

export interface ClaimRules {
  issuer: string;
  audience: string;
  nowSeconds: number;
  toleranceSeconds: number;
  maxAgeSeconds: number;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** `aud` is exactly our audience: the string, or an array holding only it (SPEC §6.2). */
export function audienceMatches(aud: unknown, audience: string): boolean {
  if (typeof aud === "string") return aud === audience;
  return Array.isArray(aud) && aud.length > 0 && aud.every((a) => a === audience);
}

/** Registered claims of a verified token; `iss` was compared before the signature check. */
export function checkClaims(claims: Record<string, unknown>, rules: ClaimRules): VerifiedClaims {
  const { nowSeconds: now, toleranceSeconds: tol } = rules;
  for (const name of ["sub", "jti"] as const) {
    const v = claims[name];
    if (typeof v !== "string" || v.length === 0) throw invalidGrant("missing_claim", `The token has no ${name} claim`);
    if (v.length > 1024) throw malformed(`the ${name} claim is too long`);
  }
  for (const name of ["iat", "exp"] as const) {
    if (typeof claims[name] !== "number" || !Number.isFinite(claims[name]))
      throw invalidGrant("missing_claim", `The token has no numeric ${name} claim`);
  }
  if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || !Number.isFinite(claims.nbf)))
    throw malformed("the nbf claim is not a number");
  if (claims.iss !== rules.issuer) throw invalidGrant("untrusted_issuer", "Issuer not trusted for this connection");
  if (!audienceMatches(claims.aud, rules.audience))
    throw invalidGrant("audience_mismatch", `Audience mismatch: request the ID token with the audience ${rules.audience}`);
  const exp = claims.exp as number;
  const iat = claims.iat as number;
  if (now - tol >= exp) throw invalidGrant("expired", `Token expired at ${iso(exp)}`);
  if (typeof claims.nbf === "number" && claims.nbf > now + tol)
    throw invalidGrant("not_yet_valid", `Token not yet valid (until ${iso(claims.nbf)})`);
  if (iat > now + tol) throw invalidGrant("not_yet_valid", `Token not yet valid: issued in the future (${iso(iat)})`);
  if (now - iat > rules.maxAgeSeconds + tol)
    throw invalidGrant("too_old", `Token too old: issued at ${iso(iat)}, more than ${rules.maxAgeSeconds} s ago; request a fresh one`);
  return claims as VerifiedClaims;
}
