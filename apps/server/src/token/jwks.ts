import { isObject } from "@oidc/shared";
import { type CryptoKey, importJWK } from "jose";
import { countJwksFetch } from "../metrics";
import { invalidGrant, unavailable } from "./errors";

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface JwksCacheOptions {
  fetch: FetchLike;
  /** At most one fetch per issuer per cool-down when unknown `kid`s (or failures) ask for one. */
  cooldownMs: number;
  /** Keys older than this are refreshed in the background (the request does not wait). */
  refreshMs: number;
  /** The last good keys keep working this long after the last successful fetch (SPEC §6.2: 24 h). */
  maxStaleMs: number;
  timeoutMs: number;
  /** Largest discovery document or JWKS accepted, in bytes. */
  maxBytes?: number;
  now?: () => number;
  onFetchError?: (issuer: string, error: unknown) => void;
}

const DEFAULT_MAX_BYTES = 256 * 1024;
/** RSA moduli under 2048 bits are not accepted (base64url length of a 256-byte modulus). */
const MIN_MODULUS_CHARS = 342;

/** GET a JSON document with a timeout, no redirects and a size limit. */
export async function fetchJson(fetchImpl: FetchLike, url: string, timeoutMs: number, maxBytes: number): Promise<unknown> {
  const res = await fetchImpl(url, {
    method: "GET",
    headers: { accept: "application/json" },
    redirect: "error",
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`GET ${url}: HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new Error(`GET ${url}: document larger than ${maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new Error(`GET ${url}: document larger than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/** The issuer's RS256 verification keys by `kid`, found through its discovery document. */
async function loadIssuerKeys(issuer: string, o: JwksCacheOptions): Promise<Map<string, CryptoKey>> {
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
  const discovery = await fetchJson(o.fetch, `${issuer}/.well-known/openid-configuration`, o.timeoutMs, maxBytes);
  if (!isObject(discovery)) throw new Error("discovery document is not a JSON object");
  if (discovery.issuer !== issuer)
    throw new Error(`discovery document names issuer ${JSON.stringify(discovery.issuer)}, expected ${issuer}`);
  const jwksUri = discovery.jwks_uri;
  if (typeof jwksUri !== "string") throw new Error("discovery document has no jwks_uri");
  const parsed = new URL(jwksUri);
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && issuer.startsWith("http://")))
    throw new Error("jwks_uri must use https");
  const jwks = await fetchJson(o.fetch, parsed.toString(), o.timeoutMs, maxBytes);
  if (!isObject(jwks) || !Array.isArray(jwks.keys)) throw new Error("JWKS has no keys array");
  const keys = new Map<string, CryptoKey>();
  for (const jwk of jwks.keys.slice(0, 100)) {
    if (!isObject(jwk) || jwk.kty !== "RSA" || typeof jwk.kid !== "string" || typeof jwk.n !== "string" || typeof jwk.e !== "string")
      continue;
    if ((jwk.use !== undefined && jwk.use !== "sig") || (jwk.alg !== undefined && jwk.alg !== "RS256")) continue;
    if (jwk.n.length < MIN_MODULUS_CHARS) continue;
    try {
      // Only the public members: never a private or symmetric key, whatever the document holds.
      const key = await importJWK({ kty: "RSA", n: jwk.n, e: jwk.e }, "RS256");
      keys.set(jwk.kid, key as CryptoKey);
    } catch {
      // an unusable key is skipped; the others still serve
    }
  }
  if (keys.size === 0) throw new Error("JWKS holds no usable RS256 key");
  return keys;
}

class IssuerKeys {
  keys = new Map<string, CryptoKey>();
  /** When the keys were last fetched successfully; 0 = never. */
  fetchedAt = 0;
  lastAttempt = Number.NEGATIVE_INFINITY;
  inflight: Promise<void> | undefined;
  fetches = 0;

  constructor(
    readonly issuer: string,
    private readonly o: JwksCacheOptions,
  ) {}

  /** One fetch at a time, shared by every waiter; failures keep the previous keys. */
  refresh(): Promise<void> {
    if (this.inflight) return this.inflight;
    const now = this.o.now ?? Date.now;
    this.lastAttempt = now();
    this.fetches++;
    this.inflight = loadIssuerKeys(this.issuer, this.o)
      .then(
        (keys) => {
          this.keys = keys;
          this.fetchedAt = now();
          countJwksFetch(this.issuer, true);
        },
        (error) => {
          countJwksFetch(this.issuer, false);
          this.o.onFetchError?.(this.issuer, error);
        },
      )
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private usable(now: number) {
    return this.fetchedAt > 0 && now - this.fetchedAt <= this.o.maxStaleMs;
  }

  async get(kid: string): Promise<CryptoKey> {
    const clock = this.o.now ?? Date.now;
    const now = clock();
    if (this.usable(now)) {
      const key = this.keys.get(kid);
      if (key) {
        if (now - this.fetchedAt > this.o.refreshMs && now - this.lastAttempt >= this.o.cooldownMs) void this.refresh();
        return key;
      }
    }
    // Unknown kid, or no usable keys: join the fetch under way, or start one when the cool-down allows.
    if (this.inflight || now - this.lastAttempt >= this.o.cooldownMs) await this.refresh();
    if (!this.usable(clock())) {
      throw unavailable("issuer_unavailable", "The issuer's signing keys cannot be fetched at the moment; try again later");
    }
    const key = this.keys.get(kid);
    if (!key)
      throw invalidGrant("unknown_key", `Unknown key: the issuer publishes no signing key with kid ${JSON.stringify(kid.slice(0, 100))}`);
    return key;
  }
}

/**
 * Verification keys per trusted issuer (SPEC §6.2): cached `CryptoKey`s, an unknown `kid` causes
 * at most one refetch per cool-down (concurrent misses share it), and the last good keys serve
 * while the issuer is unreachable, up to `maxStaleMs`.
 */
export class JwksCache {
  private readonly issuers = new Map<string, IssuerKeys>();

  constructor(private readonly options: JwksCacheOptions) {}

  private entry(issuer: string) {
    let entry = this.issuers.get(issuer);
    if (!entry) {
      entry = new IssuerKeys(issuer, this.options);
      this.issuers.set(issuer, entry);
    }
    return entry;
  }

  /** The key for `kid`; throws `unknown_key` (400) or `issuer_unavailable` (503). */
  getKey(issuer: string, kid: string): Promise<CryptoKey> {
    return this.entry(issuer).get(kid);
  }

  /** How many fetch cycles (discovery + JWKS) ran for this issuer; for tests and metrics. */
  fetchCount(issuer: string): number {
    return this.issuers.get(issuer)?.fetches ?? 0;
  }
}
