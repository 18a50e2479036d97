import {
  ACCESS_TOKEN_TYPE,
  DEFAULT_EXPIRES_IN_SECONDS,
  decideExchange,
  type EventDetails,
  type evaluateRulesets,
  type Grant,
} from "@oidc/shared";
import type { Logger } from "pino";
import { recordEvent } from "../audit/events";
import type { DatabaseHandle } from "../db/client";
import { currentScope, requestScope } from "../db/deadline";
import { pruneUsedJtis, touchLastUsed } from "../db/exchange-records";
import { postgresArrays } from "../db/raw";
import type { Env } from "../env";
import { type Limiter, pruneRateLimits, rateLimitStore } from "../http/rate-limit";
import { watchGate } from "../metrics";
import { CONFIG_DEPENDENT, type ConnectionConfig, ConnectionConfigCache } from "./config-cache";
import { invalidGrant, invalidRequest, TokenError, unavailable } from "./errors";
import { deniedEvent, exchangedEvent, jobOf, repositoryKey } from "./events";
import { Gate } from "./gate";
import { signAccessToken } from "./issue";
import type { JwksCache } from "./jwks";
import { newJti, type SigningKeyStore } from "./keys";
import { ExchangeRecorder, RecordAbandoned, RecordRefused } from "./recorder";
import type { ExchangeRequest } from "./request";
import { checkClaims, type ParsedToken, parseSubjectToken, type VerifiedClaims, verifySignature } from "./verify";

/** `lastUsedAt` of a connection or ruleset is written at most once per this interval (per process, and in SQL). */
export const LAST_USED_INTERVAL_SECONDS = 60;
/** Expired `used_jtis` rows are pruned at most this often, this many at a time. */
const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 5000;

export interface ExchangeContext {
  ip: string | null;
  requestId: string;
}

export interface ExchangeResult {
  access_token: string;
  issued_token_type: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
}

export function scopeString(orgSlug: string, access: readonly Grant[]): string {
  // Resources are stored as `<org>/<repo>` (the org's own), so the scope names them as they are.
  return access
    .map((g) => `repository:${g.resource.includes("/") ? g.resource : `${orgSlug}/${g.resource}`}:${g.scopes.join(",")}`)
    .join(" ");
}

/**
 * The token exchange (SPEC §6): request checks, connection, verification, decision, replay claim
 * and event in one statement, then the signed access token.
 */
export class TokenService {
  private readonly gate: Gate;
  private readonly recorder: ExchangeRecorder;
  private readonly touched = new Map<string, number>();
  /** When each connection's rate limit was last recorded as token.denied (one per window). */
  private readonly limitNoted = new Map<string, number>();
  private readonly configs: ConnectionConfigCache;
  private lastPrune = Date.now();

  constructor(
    private readonly env: Env,
    private readonly database: DatabaseHandle,
    private readonly log: Logger,
    readonly jwks: JwksCache,
    readonly keys: SigningKeyStore,
    /** TOKEN_RATE_LIMIT_CONNECTION: per connection, once it is known (the registry realm shares it: SPEC §9). */
    readonly connectionLimiter: Limiter,
  ) {
    this.gate = new Gate(Math.max(1, env.databasePoolSize));
    watchGate(this.gate);
    this.configs = new ConnectionConfigCache(database.db, (fn) => this.db(fn));
    this.recorder = new ExchangeRecorder(
      // A batch serves many requests: it runs outside any one request's scope (SPEC §13 deadline).
      (query) => requestScope.exit(() => this.gate.run(() => this.database.db.execute(query))),
      // Few statements in flight make bigger batches: fewer commits, less PostgreSQL CPU on a small machine.
      Math.max(1, Math.min(2, env.databasePoolSize - 1)),
      postgresArrays(database),
    );
  }

  private db<T>(fn: () => Promise<T>): Promise<T> {
    return this.gate.run(fn).catch((error) => {
      if (error instanceof TokenError) throw error;
      this.log.error({ err: error }, "token exchange: database failure");
      throw unavailable("database_unavailable", "The service cannot record the exchange at the moment; try again later");
    });
  }

  async exchange(request: ExchangeRequest, ctx: ExchangeContext): Promise<ExchangeResult> {
    // 1. The request's shape (validated at the route): its first problem is kept until we know
    // whether the connection exists; without a connection ID there is nothing more to learn.
    const requestError = request.ok ? undefined : request.error;
    const connectionId = request.connectionId;
    if (!connectionId) throw requestError;
    const subjectToken = request.ok ? request.subjectToken : undefined;
    const expiresIn = request.ok ? request.expiresIn : DEFAULT_EXPIRES_IN_SECONDS;

    // 2. Cheap structural checks on the token, before any I/O.
    let parsed: ParsedToken | undefined;
    let tokenError: TokenError | undefined;
    if (!requestError && subjectToken) {
      try {
        parsed = parseSubjectToken(subjectToken);
      } catch (error) {
        if (!(error instanceof TokenError)) throw error;
        tokenError = error;
      }
    }

    // 3. The connection: from a short-lived cache for the success path (the statement that records
    // the exchange re-checks its version and status), read afresh before any refusal that depends on it.
    const id = connectionId.toLowerCase();
    let connection = await this.configs.get(id, false);
    if (!connection) throw requestError ?? invalidGrant("unknown_connection", "Unknown connection");
    const limited = await this.connectionLimiter.hit(connection.id);
    if (!limited.ok) {
      const error = new TokenError(
        429,
        "invalid_request",
        "rate_limited",
        `Too many token requests for this connection; retry in ${limited.retryAfterSeconds} s`,
        limited.retryAfterSeconds,
      );
      // One event per connection and limiter window says it is being limited; a flood writes no more.
      if (this.firstLimitedInWindow(connection.id)) await this.deny(connection, error, ctx, parsed?.claims, false);
      throw error;
    }

    for (let attempt = 0; ; attempt++) {
      let verified = false;
      /** SPEC §11: the audit rulesets that would have matched, for the event whatever the outcome. */
      let audit: Pick<EventDetails<"token.denied">, "audit"> = {};
      try {
        if (requestError) throw requestError;
        if (tokenError || !parsed) throw tokenError ?? invalidRequest("The subject_token parameter is missing");
        if (connection.status !== "active") throw invalidGrant("connection_inactive", "Connection inactive");
        // 4. Verification (SPEC §6.2): only the connection's issuer, and only while it is trusted.
        if (!this.env.trustedIssuers.includes(connection.issuer) || parsed.claims.iss !== connection.issuer)
          throw invalidGrant("untrusted_issuer", "Issuer not trusted for this connection");
        const key = await this.jwks.getKey(connection.issuer, parsed.kid);
        await verifySignature(parsed, key);
        const claims = checkClaims(parsed.claims, {
          issuer: connection.issuer,
          audience: this.env.tokenAudience,
          nowSeconds: Date.now() / 1000,
          toleranceSeconds: this.env.clockToleranceSeconds,
          maxAgeSeconds: this.env.maxTokenAgeSeconds,
        });
        verified = true;
        // 5. Decision (SPEC §4.2, §11): the shared one the dry run (simulate) gives too, at this
        // time, so a cached configuration never lets an expired ruleset grant.
        const decision = decideExchange(connection, claims, Date.now());
        if (decision.audit) audit = { audit: decision.audit };
        if (decision.reason === "connection_inactive") throw invalidGrant("connection_inactive", "Connection inactive");
        if (!decision.allowed) {
          // The caller learns only that nothing matched; the admin's event says an expiry was the cause.
          const reason = decision.reason === "ruleset_expired" ? "ruleset_expired" : "no_matching_ruleset";
          const error = invalidGrant(reason, `No ruleset matches subject ${JSON.stringify(claims.sub.slice(0, 300))}`);
          error.details =
            reason === "ruleset_expired" ? { expired: decision.expired ?? [], ...audit } : { diagnosis: decision.diagnosis, ...audit };
          throw error;
        }
        const ttl = Math.min(expiresIn, connection.maxTokenTtlSeconds, connection.policyMaxTokenTtlSeconds);
        return await this.issue(connection, claims, decision, ttl, ctx);
      } catch (error) {
        if (!(error instanceof TokenError)) throw error;
        if (attempt < 2 && (error.reason === "connection_changed" || (connection.cached && CONFIG_DEPENDENT.has(error.reason)))) {
          const fresh = await this.configs.get(id, true);
          if (!fresh) throw invalidGrant("unknown_connection", "Unknown connection");
          connection = fresh;
          continue;
        }
        if (error.reason === "connection_changed") throw unavailable("database_unavailable", "The connection is being changed; try again");
        await this.deny(connection, error, ctx, parsed?.claims, verified, { ...audit, ...error.details });
        throw error;
      }
    }
  }

  /** 6. Claim the jti and write the event in one statement, sign meanwhile, answer only once both are done. */
  private async issue(
    connection: ConnectionConfig,
    claims: VerifiedClaims,
    decision: ReturnType<typeof evaluateRulesets>,
    ttl: number,
    ctx: ExchangeContext,
  ): Promise<ExchangeResult> {
    // The issue time, taken after the decision's configuration was read and before the record
    // statement runs: a token recorded before a deactivation committed is older than the
    // re-activation that follows it (tokensValidAfter), one decided on a later read is not.
    const issuedAtMs = Date.now();
    const jti = newJti();
    const job = jobOf(claims);
    const event = exchangedEvent({
      connection,
      claims,
      decision,
      ttl,
      tokenId: jti,
      requestId: ctx.requestId,
      ip: ctx.ip,
      devIssuerUrl: this.env.devIssuerUrl,
    });
    const claimExpires = new Date((claims.exp + this.env.clockToleranceSeconds) * 1000).toISOString();
    // SPEC §13: an exchange already answered 503 (deadline) is not recorded, so its jti stays usable;
    // once handed to the recorder, a graceful stop waits for its answer rather than cutting it.
    const scope = currentScope();
    scope?.check();
    if (scope) scope.protected = true;
    // Recorded by one statement (one transaction): the connection is still active at the version we
    // decided on, the jti is claimed, and the event is written — all or nothing; batched under load.
    const recorded = this.recorder
      .record(
        {
          connectionId: connection.id,
          version: connection.version,
          issuer: claims.iss,
          jti: claims.jti,
          claimExpiresAt: claimExpires,
          ...repositoryKey(job),
          event,
        },
        // Asked when its batch is formed: not sent once answered 503; otherwise it is on its way.
        scope
          ? () => {
              if (scope.expired) return true;
              scope.recordSent = true;
              return false;
            }
          : undefined,
      )
      .catch((error: unknown) => {
        if (error instanceof RecordRefused) {
          this.log.warn({ err: error.cause }, "token exchange: the database refused this exchange's record");
          throw invalidGrant("malformed_token", "The token's claims cannot be recorded, so it is refused");
        }
        if (!(error instanceof RecordAbandoned)) this.log.error({ err: error }, "token exchange: could not record the exchange");
        throw unavailable("database_unavailable", "The service cannot record the exchange at the moment; try again later");
      });
    const signed = signAccessToken(this.env, this.keys, { connection, claims, decision, jti, issuedAtMs, ttl });
    // Both run together; the token leaves only when its jti is recorded.
    const [outcome, accessToken] = await Promise.all([scope ? scope.track(recorded) : recorded, signed.catch((e: unknown) => e as Error)]);
    if (!outcome.current) throw new TokenError(503, "temporarily_unavailable", "connection_changed", "The connection changed");
    if (!outcome.recorded) throw invalidGrant("replay", "Token already used: each ID token can be exchanged once; request a new one");
    if (typeof accessToken !== "string") throw accessToken;
    await this.touch(
      connection.id,
      connection.rulesets.filter((r) => decision.matched.includes(r.label)).map((r) => r.id),
    );
    this.maybePrune();
    return {
      access_token: accessToken,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: "Bearer",
      expires_in: ttl,
      scope: scopeString(connection.orgSlug, decision.access),
    };
  }

  private firstLimitedInWindow(connectionId: string): boolean {
    const now = Date.now();
    const last = this.limitNoted.get(connectionId);
    if (last !== undefined && now - last < 60_000) return false;
    if (this.limitNoted.size > 10_000) for (const [k, v] of this.limitNoted) if (now - v >= 60_000) this.limitNoted.delete(k);
    this.limitNoted.set(connectionId, now);
    return true;
  }

  /**
   * `token.denied` for a known connection: the reason code; the claims only as "claimed" unless
   * verified. Every refusal is recorded (an unreachable issuer too), except when the database itself
   * is the problem (it could not take the event either); a failure to record never changes the answer.
   */
  private async deny(
    connection: ConnectionConfig,
    error: TokenError,
    ctx: ExchangeContext,
    claims: Record<string, unknown> | undefined,
    verified: boolean,
    extra: TokenError["details"] = {},
  ) {
    // No event without a connection, nor when the database is the problem or the refusal is internal.
    const reason = error.reason;
    if (reason === "database_unavailable" || reason === "connection_changed" || reason === "unknown_connection") return;
    await this.db(() =>
      recordEvent(
        this.database.db,
        deniedEvent({
          connection,
          error,
          reason,
          claims,
          verified,
          extra,
          requestId: ctx.requestId,
          ip: ctx.ip,
          devIssuerUrl: this.env.devIssuerUrl,
        }),
      ),
    ).catch((failure: unknown) => this.log.warn({ err: failure }, "token exchange: could not record token.denied"));
  }

  /**
   * `lastUsedAt` of the connection and the matched rulesets, coalesced: at most once per
   * interval per row from this process, and the SQL skips rows written recently by another, so
   * concurrent exchanges do not queue on the connection's row lock (PERF-NOTES).
   */
  private async touch(connectionId: string, rulesetIds: string[]) {
    const now = Date.now();
    const due = (id: string) => {
      const last = this.touched.get(id) ?? 0;
      if (now - last < LAST_USED_INTERVAL_SECONDS * 1000) return false;
      this.touched.set(id, now);
      return true;
    };
    const touchConnection = due(connectionId);
    const dueRulesets = rulesetIds.filter(due);
    if (!touchConnection && !dueRulesets.length) return;
    if (this.touched.size > 10_000)
      for (const [k, v] of this.touched) if (now - v > LAST_USED_INTERVAL_SECONDS * 1000) this.touched.delete(k);
    try {
      await this.gate.run(() =>
        touchLastUsed(this.database.db, touchConnection ? connectionId : undefined, dueRulesets, LAST_USED_INTERVAL_SECONDS),
      );
    } catch (error) {
      // The token is recorded and valid; a missed lastUsedAt is retried at the next exchange.
      this.touched.delete(connectionId);
      for (const id of dueRulesets) this.touched.delete(id);
      this.log.warn({ err: error }, "token exchange: could not update lastUsedAt");
    }
  }

  /** Removes expired replay claims in bounded batches, at most once a minute, off the request path. */
  private maybePrune() {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    void this.pruneUsedJtis().catch((error) => this.log.warn({ err: error }, "could not prune used_jtis"));
    // The shared rate-limit store's expired windows (RATE_LIMIT_STORE=postgres), on the same schedule.
    if (rateLimitStore(this.env) === "postgres")
      void this.gate
        .run(() => pruneRateLimits(this.database.db, PRUNE_BATCH))
        .catch((error) => this.log.warn({ err: error }, "could not prune rate_limits"));
  }

  pruneUsedJtis(): Promise<number> {
    return this.gate.run(() => pruneUsedJtis(this.database.db, PRUNE_BATCH));
  }
}
