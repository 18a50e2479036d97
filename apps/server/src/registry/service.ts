import type { EventDetails } from "@oidc/shared";
import { sql } from "drizzle-orm";
import { type CryptoKey, SignJWT } from "jose";
import type { Logger } from "pino";
import type { DatabaseHandle } from "../db/client";
import { connections, events } from "../db/schema";
import type { Env } from "../env";
import { keyringOf } from "../keys/vault";
import { InvalidAccessToken, verifyAccessToken } from "../token/access";
import type { TokenService } from "../token/exchange";
import { ACCESS_TOKEN_ALG, ensureRegistryCa, newJti, type RegistryCa, type SigningKeyStore } from "../token/keys";
import { issueLeafCertificate } from "./certificates";
import { canonicalScope, intersectAccess, MalformedScope, parseScopes, type RegistryAccess } from "./scope";

/** A registry token lives at most this long (SPEC §9), and never past its access token. */
export const REGISTRY_TOKEN_MAX_SECONDS = 300;
/**
 * The least `expires_in` we answer (SPEC §9). Docker clients treat anything lower as 60 anyway;
 * when the access token has less left, the token's `exp` stays at the access token's and the
 * registry's own 60 s leeway on `exp` covers the difference.
 */
export const MIN_EXPIRES_IN = 60;
/** A leaf certificate is re-issued when less than this is left of it. */
const LEAF_RENEW_MS = 3600_000;
/** Coalescing keys of recorded `registry.token` events kept in memory, at most. */
const RECORDED_CACHE_SIZE = 10_000;

/** A refusal in the registry's error format (SPEC §9): `{errors: [{code, message}]}`. */
export class RegistryError extends Error {
  constructor(
    public readonly status: 400 | 401 | 429 | 503,
    public readonly code: "INVALID_REQUEST" | "UNAUTHORIZED" | "TOOMANYREQUESTS" | "UNAVAILABLE",
    message: string,
    public readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "RegistryError";
  }
}

const badRequest = (message: string) => new RegistryError(400, "INVALID_REQUEST", message);

export interface RegistryTokenRequest {
  /** `service`: every value given (more than one is refused). */
  service: string[];
  /** `scope`: every value given; each may hold several scopes separated by spaces. */
  scope: string[];
  username: string | undefined;
  /** The access token (SPEC §6.3). */
  password: string | undefined;
}

export interface RegistryTokenResponse {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

/** Control and formatting characters out, length bounded: what a client sent, made safe to store and show. */
const clean = (value: unknown, max = 200): string | null =>
  typeof value === "string" ? value.replace(/[\p{Cc}\p{Cf}]/gu, "\uFFFD").slice(0, max) : null;

/**
 * The registry token service (SPEC §9): the realm a CNCF distribution registry sends clients to.
 * It takes one of our access tokens as a Basic password and answers a short-lived registry token
 * that carries what was asked for and the access token grants, signed with the current access
 * token key and carrying that key's certificate from the deployment's registry CA.
 */
export class RegistryTokenService {
  readonly realm: string;
  private caPromise: Promise<RegistryCa> | undefined;
  private readonly leaves = new Map<string, { x5c: string; notAfter: number }>();
  /** Coalescing keys already recorded, with when they can be forgotten (the access token's expiry). */
  private readonly recorded = new Map<string, number>();

  constructor(
    private readonly env: Env,
    private readonly database: DatabaseHandle,
    private readonly log: Logger,
    private readonly keys: SigningKeyStore,
    private readonly exchange: TokenService,
  ) {
    this.realm = `${env.publicUrl}/registry/token`;
  }

  /** The registry CA (created on first use when the server's start-up did not). */
  ca(): Promise<RegistryCa> {
    this.caPromise ??= ensureRegistryCa(this.database.db, registryCaName(this.env), keyringOf(this.env)).catch((error: unknown) => {
      this.caPromise = undefined;
      throw error;
    });
    return this.caPromise;
  }

  /** The `x5c` entry for a signing key: its certificate, issued in memory and renewed before it runs out. */
  private async leafFor(kid: string, publicKey: CryptoKey): Promise<string> {
    const cached = this.leaves.get(kid);
    if (cached && cached.notAfter - Date.now() > LEAF_RENEW_MS) return cached.x5c;
    const leaf = await issueLeafCertificate(await this.ca(), { kid, publicKey });
    if (this.leaves.size > 16) this.leaves.clear();
    this.leaves.set(kid, leaf);
    return leaf.x5c;
  }

  async issue(request: RegistryTokenRequest, ctx: { ip: string | null; requestId: string }): Promise<RegistryTokenResponse> {
    // 1. The request's shape: cheap, before any verification.
    if (request.service.length > 1) throw badRequest("The service parameter is given more than once");
    const service = request.service[0];
    if (!service) throw badRequest(`The service parameter is missing: this server issues tokens for ${this.env.registryService}`);
    if (service !== this.env.registryService)
      throw badRequest(`This server issues tokens for the registry service ${this.env.registryService}, not ${service.slice(0, 200)}`);
    let scopes: ReturnType<typeof parseScopes>;
    try {
      scopes = parseScopes(request.scope);
    } catch (error) {
      if (error instanceof MalformedScope) throw badRequest(error.message);
      throw error;
    }
    // 2. The access token (SPEC §6.5): verified, unexpired, not revoked.
    if (!request.password)
      throw new RegistryError(401, "UNAUTHORIZED", "Log in with an access token of this service as the password (any username)");
    let claims: Awaited<ReturnType<typeof verifyAccessToken>>;
    try {
      claims = await verifyAccessToken(request.password, this.env, this.keys, this.database);
    } catch (error) {
      if (error instanceof InvalidAccessToken)
        throw new RegistryError(401, "UNAUTHORIZED", `The password is not a valid access token: ${error.message}`);
      this.log.error({ err: error }, "registry token: cannot verify the access token");
      throw new RegistryError(503, "UNAVAILABLE", "The token service cannot check the access token at the moment; try again", 5);
    }
    const limited = await this.exchange.connectionLimiter.hit(claims.connection_id);
    if (!limited.ok) throw registryRateLimited(limited.retryAfterSeconds, "Too many token requests for this connection");
    // 3. What is asked ∩ what is granted; the event; the signed token.
    const access = intersectAccess(scopes, Array.isArray(claims.access) ? claims.access : []);
    const scope = canonicalScope(scopes);
    try {
      await this.record(claims, { service, scope, access, username: request.username }, ctx);
    } catch (error) {
      this.log.error({ err: error }, "registry token: could not record the event");
      throw new RegistryError(503, "UNAVAILABLE", "The token service cannot record the request at the moment; try again", 5);
    }
    const now = Math.floor(Date.now() / 1000);
    const exp = Math.min(now + REGISTRY_TOKEN_MAX_SECONDS, claims.exp);
    const token = await this.sign(claims.sub, service, access, now, exp);
    return { token, access_token: token, expires_in: Math.max(MIN_EXPIRES_IN, exp - now), issued_at: new Date(now * 1000).toISOString() };
  }

  private async sign(sub: string, service: string, access: RegistryAccess[], now: number, exp: number): Promise<string> {
    const { kid, key, publicKey } = await this.keys.signingKey();
    const x5c = await this.leafFor(kid, publicKey);
    return new SignJWT({ access })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: "JWT", kid, x5c: [x5c] })
      .setIssuer(this.env.publicUrl)
      .setSubject(sub)
      .setAudience(service)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(exp)
      .setJti(newJti())
      .sign(key);
  }

  /**
   * One `registry.token` event per access token and scope set (SPEC §9): skipped when this process
   * recorded it already; across processes the unique index `events_registry_token_key` keeps one.
   * The org comes from the connection row in the same statement.
   */
  private async record(
    claims: Awaited<ReturnType<typeof verifyAccessToken>>,
    grant: { service: string; scope: string; access: RegistryAccess[]; username: string | undefined },
    ctx: { ip: string | null; requestId: string },
  ) {
    const tokenId = clean(claims.jti, 100) ?? "";
    const key = `${claims.connection_id}\n${tokenId}\n${grant.scope}`;
    const now = Date.now();
    const until = this.recorded.get(key);
    if (until !== undefined && until > now) return;
    const details = {
      tokenId,
      service: grant.service,
      username: clean(grant.username),
      scope: grant.scope,
      access: grant.access,
      repository: clean(claims.repository),
      ref: clean(claims.ref),
      requestId: ctx.requestId,
    } satisfies EventDetails<"registry.token">;
    const sub = clean(claims.sub, 300);
    await this.database.db.execute(sql`
      insert into ${events} (org_id, connection_id, type, actor_type, actor_id, actor_name, outcome, details, ip)
      select ${connections.orgId}, ${connections.id}, 'registry.token', 'workflow', ${sub}, ${details.repository ?? sub ?? "workflow"},
        'success', ${JSON.stringify(details)}::jsonb, ${ctx.ip}
      from ${connections} where ${connections.id} = ${claims.connection_id}
      on conflict do nothing`);
    if (this.recorded.size >= RECORDED_CACHE_SIZE) {
      for (const [k, v] of this.recorded) if (v <= now) this.recorded.delete(k);
      if (this.recorded.size >= RECORDED_CACHE_SIZE) this.recorded.delete(this.recorded.keys().next().value as string);
    }
    this.recorded.set(key, claims.exp * 1000);
  }
}

/** 429 in the registry's format (SPEC §9), with Retry-After. */
export const registryRateLimited = (retryAfterSeconds: number, what = "Too many token requests") =>
  new RegistryError(429, "TOOMANYREQUESTS", `${what}; retry in ${retryAfterSeconds} s`, retryAfterSeconds);

/** The CA's name in its certificate: the deployment it belongs to. */
export function registryCaName(env: Env): string {
  return `OIDC Connections registry CA (${new URL(env.publicUrl).host})`;
}
