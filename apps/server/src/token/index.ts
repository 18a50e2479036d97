import type { Hono } from "hono";
import type { AppEnv, Deps } from "../http/context";
import type { Limiter, RateLimits } from "../http/rate-limit";
import { keyringOf } from "../keys/vault";
import { RegistryTokenService } from "../registry/service";
import { TokenService } from "./exchange";
import { type FetchLike, JwksCache } from "./jwks";
import { SigningKeyStore } from "./keys";

export interface TokenServices {
  exchange: TokenService;
  keys: SigningKeyStore;
  jwks: JwksCache;
  registry: RegistryTokenService;
  /**
   * TOKEN_RATE_LIMIT_IP: per client address, before any parsing, on /oauth/token and the registry
   * realm alike (SPEC §9: one budget). The per-connection one is `exchange.connectionLimiter`.
   */
  ipLimiter: Limiter;
}

/**
 * The token service's long-lived parts, one set per app. `localIssuer` answers requests for the
 * development issuer's own documents in-process (no socket: works under app.request() in tests
 * and in every cluster worker alike); everything else goes through `fetch`.
 */
export function createTokenServices(
  deps: Deps,
  limits: RateLimits,
  options: { fetch?: FetchLike; localIssuer?: Hono<AppEnv> } = {},
): TokenServices {
  const { env, log } = deps;
  const baseFetch: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const devPrefix = `${env.devIssuerUrl}/`;
  const local = options.localIssuer;
  const fetchImpl: FetchLike =
    env.devIssuer && local
      ? (url, init) =>
          url.startsWith(devPrefix) ? Promise.resolve(local.request(url.slice(env.devIssuerUrl.length), init)) : baseFetch(url, init)
      : baseFetch;
  const jwks = new JwksCache({
    fetch: fetchImpl,
    cooldownMs: env.jwksCooldownSeconds * 1000,
    refreshMs: env.jwksRefreshSeconds * 1000,
    maxStaleMs: env.jwksMaxStaleSeconds * 1000,
    timeoutMs: env.jwksFetchTimeoutMs,
    onFetchError: (issuer, error) => log.warn({ issuer, err: error instanceof Error ? error.message : String(error) }, "JWKS fetch failed"),
  });
  const keys = new SigningKeyStore(
    () => deps.database.db,
    () => keyringOf(env),
    (error) => log.warn({ err: error }, "could not reload signing keys"),
  );
  const exchange = new TokenService(env, deps.database, log, jwks, keys, limits.limiter("token-connection", env.tokenRateLimitConnection));
  return {
    exchange,
    keys,
    jwks,
    registry: new RegistryTokenService(env, deps.database, log, keys, exchange),
    ipLimiter: limits.limiter("token-ip", env.tokenRateLimitIp),
  };
}
