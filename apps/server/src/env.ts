import { resolve } from "node:path";
import { GITHUB_ACTIONS_ISSUER } from "@oidc/shared";
import { z } from "zod";
import { KEK_FORMAT, type Kek, parseKek } from "./keys/vault";

const flag = z
  .enum(["0", "1", "true", "false", ""])
  .optional()
  .transform((v) => v === "1" || v === "true");

const seconds = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const url = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).transform((u) => u.replace(/\/+$/, ""));

const RawEnv = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  PUBLIC_URL: url.optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().min(1).default(".data"),
  ADMIN_PASSWORD: z.string().min(8, "must be at least 8 characters").max(1024).optional(),
  TRUSTED_ISSUERS: z.string().default(GITHUB_ACTIONS_ISSUER),
  TOKEN_AUDIENCE: z.string().min(1).optional(),
  ACCESS_TOKEN_AUDIENCE: z.string().min(1).optional(),
  DEV_ISSUER: flag,
  CLOCK_TOLERANCE: seconds(60, 0, 600),
  MAX_TOKEN_AGE: seconds(900, 60, 86400),
  JWKS_MAX_STALE: seconds(86400, 0, 7 * 86400),
  SESSION_TTL: seconds(12 * 3600, 300, 30 * 86400),
  API_RATE_LIMIT: z.coerce.number().int().min(0).default(1200),
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(0).default(10),
  TRUST_PROXY: flag,
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  CONSOLE_DIR: z.string().optional(),
  TOKEN_RATE_LIMIT_IP: z.coerce.number().int().min(0).default(1200),
  TOKEN_RATE_LIMIT_CONNECTION: z.coerce.number().int().min(0).default(6000),
  JWKS_COOLDOWN: seconds(30, 0, 3600),
  JWKS_REFRESH: seconds(600, 10, 86400),
  JWKS_FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  KEY_ENCRYPTION_KEY: z.string().optional(),
  WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
  WEBHOOK_RETRY_CAP_MS: z.coerce.number().int().min(10).max(86_400_000).default(3_600_000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(12),
  KEY_ENCRYPTION_KEYS_OLD: z.string().optional(),
  REGISTRY_SERVICE: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/, "must be the registry's host (and port), e.g. registry.example.com, without a scheme")
    .optional(),
  SHUTDOWN_GRACE: seconds(10, 0, 3600),
  METRICS: z
    .enum(["0", "1", "true", "false"])
    .optional()
    .transform((v) => v === undefined || v === "1" || v === "true"),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{32,256}$/, "must be 32 to 256 printable characters without spaces (e.g. $(openssl rand -hex 32))")
    .optional(),
  RATE_LIMIT_STORE: z.enum(["memory", "postgres", "redis"], { message: "must be memory, postgres or redis" }).optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
    .optional(),
});

/**
 * `GET /metrics` (docs/operations.md "What to watch"). On a listener of its own when METRICS_PORT
 * is set (bound to METRICS_HOST, 127.0.0.1 by default; with WORKERS > 1 the primary serves every
 * worker's series there). On the public port: with METRICS_TOKEN as a Bearer token; open only
 * outside production when neither is set (the embedded demo); otherwise not there at all (404).
 */
export interface MetricsConfig {
  /** METRICS=0: nothing counted, nothing served. */
  enabled: boolean;
  publicPort: "open" | "token" | "off";
  token: string | undefined;
  port: number | undefined;
  host: string;
}

export interface Env {
  nodeEnv: "development" | "test" | "production";
  production: boolean;
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  dataDir: string;
  adminPassword: string | undefined;
  /** Issuers a connection may name: TRUSTED_ISSUERS, plus the development issuer when enabled. */
  trustedIssuers: string[];
  tokenAudience: string;
  accessTokenAudience: string;
  devIssuer: boolean;
  /** `${publicUrl}/dev-issuer` — trusted only when devIssuer is on. */
  devIssuerUrl: string;
  clockToleranceSeconds: number;
  maxTokenAgeSeconds: number;
  jwksMaxStaleSeconds: number;
  sessionTtlSeconds: number;
  /** Requests per minute per client on /api; 0 disables. */
  apiRateLimit: number;
  /** Login attempts per minute per client and per email; 0 disables. */
  loginRateLimit: number;
  trustProxy: boolean;
  logLevel: string;
  consoleDir: string | undefined;
  /** Token exchanges per minute per client address; 0 disables. */
  tokenRateLimitIp: number;
  /** Token exchanges per minute per (known) connection; 0 disables. */
  tokenRateLimitConnection: number;
  /** At most one JWKS fetch per issuer per this many seconds when unknown `kid`s or failures ask for one. */
  jwksCooldownSeconds: number;
  /** Cached issuer keys older than this are refreshed in the background. */
  jwksRefreshSeconds: number;
  jwksFetchTimeoutMs: number;
  /** Server processes (node:cluster) sharing the port; 1 runs in-process. */
  workers: number;
  /** Seals the private signing keys at rest (KEY_ENCRYPTION_KEY); unset outside production: see keyringOf. */
  keyEncryptionKey: Kek | undefined;
  /** Earlier KEKs that may still open keys until `keys:rewrap` (KEY_ENCRYPTION_KEYS_OLD). */
  oldKeyEncryptionKeys: Kek[];
  /** The registry's `service` (SPEC §9): REGISTRY_SERVICE, default the host and port of PUBLIC_URL. */
  registryService: string;
  /**
   * Where rate limits are counted (RATE_LIMIT_STORE); undefined: memory on the embedded database,
   * postgres on PostgreSQL (see `rateLimitStore` in http/rate-limit.ts and docs/operations.md).
   */
  rateLimitStore: "memory" | "postgres" | "redis" | undefined;
  /** REDIS_URL: required with RATE_LIMIT_STORE=redis. */
  redisUrl: string | undefined;
  /** On SIGTERM, in-flight requests get this long to finish (SPEC §13). */
  shutdownGraceSeconds: number;
  /** Webhook outbox (SPEC §12): poll interval, retry backoff (base, doubled, capped) and attempts. */
  webhookPollMs: number;
  webhookRetryBaseMs: number;
  webhookRetryCapMs: number;
  webhookMaxAttempts: number;
  metrics: MetricsConfig;
}

/** Variables whose values may hold credentials (a password, a URL with one). */
const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  "ADMIN_PASSWORD",
  "DATABASE_URL",
  "KEY_ENCRYPTION_KEY",
  "KEY_ENCRYPTION_KEYS_OLD",
  "METRICS_TOKEN",
  "REDIS_URL",
]);

export class EnvError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "EnvError";
  }
}

/** Parses the environment once; a bad value throws an EnvError naming each bad variable. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  // An empty variable counts as unset (docker compose passes `${X:-}` through as "").
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = RawEnv.safeParse(present);
  if (!parsed.success) {
    throw new EnvError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0]);
        // Secrets are named, never echoed: start-up errors end up in logs.
        const got = SECRET_VARIABLES.has(name) ? "value hidden" : `got ${JSON.stringify(source[name] ?? null)}`;
        return `${i.path.join(".")}: ${i.message} (${got})`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  const production = e.NODE_ENV === "production";
  const publicUrl = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;
  if (production && e.DEV_ISSUER) problems.push("DEV_ISSUER: the development issuer cannot be enabled with NODE_ENV=production");
  if (production && !e.PUBLIC_URL)
    problems.push("PUBLIC_URL: required with NODE_ENV=production (the issuer of access tokens and the default audience)");
  const issuers = e.TRUSTED_ISSUERS.split(",")
    .map((s) => s.trim().replace(/\/+$/, ""))
    .filter(Boolean);
  for (const issuer of issuers) {
    if (!url.safeParse(issuer).success) problems.push(`TRUSTED_ISSUERS: ${JSON.stringify(issuer)} is not an http(s) URL`);
    else if (production && !issuer.startsWith("https://")) problems.push(`TRUSTED_ISSUERS: ${issuer} must use https in production`);
  }
  if (issuers.length === 0) problems.push("TRUSTED_ISSUERS: name at least one issuer");
  if (e.RATE_LIMIT_STORE === "redis" && !e.REDIS_URL) problems.push("REDIS_URL: required with RATE_LIMIT_STORE=redis");
  const keks = keyEncryptionKeys(e.KEY_ENCRYPTION_KEY, e.KEY_ENCRYPTION_KEYS_OLD, production, problems);
  const metrics = metricsConfig(e, production, problems);
  if (problems.length) throw new EnvError(problems);
  const devIssuerUrl = `${publicUrl}/dev-issuer`;
  return {
    nodeEnv: e.NODE_ENV,
    production,
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    // Relative to where the user ran the command: `pnpm cli` and `pnpm dev` run in apps/server,
    // `pnpm start` at the root, and all of them must find the same embedded database.
    dataDir: e.DATA_DIR.startsWith("memory://") ? e.DATA_DIR : resolve(source.INIT_CWD || process.cwd(), e.DATA_DIR),
    adminPassword: e.ADMIN_PASSWORD,
    trustedIssuers: e.DEV_ISSUER && !issuers.includes(devIssuerUrl) ? [...issuers, devIssuerUrl] : issuers,
    tokenAudience: e.TOKEN_AUDIENCE ?? publicUrl,
    accessTokenAudience: e.ACCESS_TOKEN_AUDIENCE ?? publicUrl,
    devIssuer: e.DEV_ISSUER,
    devIssuerUrl,
    clockToleranceSeconds: e.CLOCK_TOLERANCE,
    maxTokenAgeSeconds: e.MAX_TOKEN_AGE,
    jwksMaxStaleSeconds: e.JWKS_MAX_STALE,
    sessionTtlSeconds: e.SESSION_TTL,
    apiRateLimit: e.API_RATE_LIMIT,
    loginRateLimit: e.LOGIN_RATE_LIMIT,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    consoleDir: e.CONSOLE_DIR,
    tokenRateLimitIp: e.TOKEN_RATE_LIMIT_IP,
    tokenRateLimitConnection: e.TOKEN_RATE_LIMIT_CONNECTION,
    jwksCooldownSeconds: e.JWKS_COOLDOWN,
    jwksRefreshSeconds: e.JWKS_REFRESH,
    jwksFetchTimeoutMs: e.JWKS_FETCH_TIMEOUT_MS,
    workers: e.WORKERS,
    keyEncryptionKey: keks.current,
    oldKeyEncryptionKeys: keks.old,
    registryService: e.REGISTRY_SERVICE ?? new URL(publicUrl).host,
    shutdownGraceSeconds: e.SHUTDOWN_GRACE,
    rateLimitStore: e.RATE_LIMIT_STORE,
    redisUrl: e.REDIS_URL,
    webhookPollMs: e.WEBHOOK_POLL_MS,
    webhookRetryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
    webhookRetryCapMs: e.WEBHOOK_RETRY_CAP_MS,
    webhookMaxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
    metrics,
  };
}

function metricsConfig(e: z.output<typeof RawEnv>, production: boolean, problems: string[]): MetricsConfig {
  const off: MetricsConfig = { enabled: false, publicPort: "off", token: undefined, port: undefined, host: e.METRICS_HOST };
  if (!e.METRICS) {
    if (e.METRICS_PORT !== undefined || e.METRICS_TOKEN)
      problems.push("METRICS: 0 turns metrics off; unset METRICS_PORT and METRICS_TOKEN too");
    return off;
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT)
    problems.push(`METRICS_PORT: must differ from PORT (${e.PORT})`);
  // Behind a cluster the public port is served by one worker at a time: its numbers alone would mislead.
  if (e.METRICS_TOKEN && e.WORKERS > 1)
    problems.push("METRICS_TOKEN: with WORKERS > 1 use METRICS_PORT instead (the primary serves every worker's series there)");
  const publicPort = e.METRICS_TOKEN ? "token" : e.METRICS_PORT !== undefined || production || e.WORKERS > 1 ? "off" : "open";
  return { enabled: true, publicPort, token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST };
}

/** KEY_ENCRYPTION_KEY and KEY_ENCRYPTION_KEYS_OLD (comma-separated); problems never quote a value. */
function keyEncryptionKeys(current: string | undefined, oldList: string | undefined, production: boolean, problems: string[]) {
  const parse = (name: string, text: string) => {
    try {
      return parseKek(text);
    } catch (error) {
      problems.push(`${name}: ${error instanceof Error ? error.message : "invalid"} (value hidden)`);
      return undefined;
    }
  };
  const kek = current ? parse("KEY_ENCRYPTION_KEY", current) : undefined;
  if (!current && production)
    problems.push(
      `KEY_ENCRYPTION_KEY: required with NODE_ENV=production: the key that encrypts the private signing keys in the database, ${KEK_FORMAT} (e.g. kek-1:$(openssl rand -base64 32))`,
    );
  const items = (oldList ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length && !current) problems.push("KEY_ENCRYPTION_KEYS_OLD: needs KEY_ENCRYPTION_KEY, the key that seals from now on");
  const old: Kek[] = [];
  items.forEach((text, i) => {
    const parsed = parse(`KEY_ENCRYPTION_KEYS_OLD (item ${i + 1})`, text);
    if (!parsed) return;
    const same = [kek, ...old].find((k) => k?.id === parsed.id);
    // The current key listed again is harmless; two different keys under one id are not.
    if (!same) old.push(parsed);
    else if (!same.key.equals(parsed.key))
      problems.push(`KEY_ENCRYPTION_KEYS_OLD (item ${i + 1}): another key already has the id "${parsed.id}" (value hidden)`);
  });
  return { current: kek, old };
}
