import {
  ACCESS_TOKEN_TYPE,
  DEFAULT_EXPIRES_IN_SECONDS,
  decideExchange,
  type evaluateRulesets,
  type Grant,
  githubServerUrl,
  type RulesetRule,
} from "@oidc/shared";
import { and, asc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { SignJWT } from "jose";
import type { Logger } from "pino";
import { type Actor, recordEvent, storableText, toRow } from "../audit/events";
import type { DatabaseHandle } from "../db/client";
import { currentScope, requestScope } from "../db/deadline";
import { connections, organizations, orgPolicies, rulesets, usedJtis } from "../db/schema";
import type { Env } from "../env";
import { type Limiter, pruneRateLimits, rateLimitStore } from "../http/rate-limit";
import { onPolicyChange } from "../policy/service";
import { ACCESS_TOKEN_TYP } from "./access";
import { invalidGrant, invalidRequest, TokenError, unavailable } from "./errors";
import { Gate } from "./gate";
import type { JwksCache } from "./jwks";
import { ACCESS_TOKEN_ALG, newJti, type SigningKeyStore } from "./keys";
import { ExchangeRecorder, RecordAbandoned, RecordRefused } from "./recorder";
import type { ExchangeRequest } from "./request";
import { checkClaims, type ParsedToken, parseSubjectToken, type VerifiedClaims, verifySignature } from "./verify";

/** `lastUsedAt` of a connection or ruleset is written at most once per this interval (per process, and in SQL). */
export const LAST_USED_INTERVAL_SECONDS = 60;
/** Connection configurations are cached this long, at most this many (oldest evicted first). */
const CONFIG_CACHE_MS = 30_000;
const CONFIG_CACHE_SIZE = 10_000;
/** Refusals that a cached configuration could cause wrongly: confirmed against a fresh read first. */
const CONFIG_DEPENDENT = new Set<string>(["connection_inactive", "untrusted_issuer", "no_matching_ruleset", "ruleset_expired"]);
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

interface ConnectionConfig {
  id: string;
  version: number;
  /** Came from the in-memory cache (not re-read for this request). */
  cached: boolean;
  orgId: string;
  orgSlug: string;
  issuer: string;
  status: "active" | "inactive";
  maxTokenTtlSeconds: number;
  /** The organisation policy's cap (SPEC §11): tokens live at most min(this, maxTokenTtlSeconds). */
  policyMaxTokenTtlSeconds: number;
  rulesets: (RulesetRule & { id: string })[];
}

const clip = (v: unknown, max = 300) => (typeof v === "string" ? v.slice(0, max) : typeof v === "number" ? String(v) : null);

/** Which repository first use counts (SPEC §12): by `repository_id` when present, else by name. */
function repositoryKey(job: { repository: string | null; repositoryId: string | null }) {
  const repository = job.repository === null ? null : storableText(job.repository);
  if (job.repositoryId) return { repoKey: `id:${storableText(job.repositoryId)}`, repository };
  return { repoKey: repository === null ? null : `name:${repository.toLowerCase()}`, repository };
}

/** The source job, as recorded in events (clipped: these are the caller's strings). */
function jobOf(claims: Record<string, unknown>) {
  return {
    sub: clip(claims.sub),
    repository: clip(claims.repository),
    repositoryId: clip(claims.repository_id, 32),
    ref: clip(claims.ref),
    sha: clip(claims.sha, 64),
    workflow: clip(claims.workflow),
    jobWorkflowRef: clip(claims.job_workflow_ref),
    runId: clip(claims.run_id, 32),
    runAttempt: clip(claims.run_attempt, 8),
  };
}

export function scopeString(orgSlug: string, access: readonly Grant[]): string {
  // Resources are stored as `<org>/<repo>` (the org's own), so the scope names them as they are.
  return access
    .map((g) => `repository:${g.resource.includes("/") ? g.resource : `${orgSlug}/${g.resource}`}:${g.scopes.join(",")}`)
    .join(" ");
}

/** The postgres.js client under drizzle, for the recorder's prepared array statement; none on PGlite. */
export function postgresArrays(database: DatabaseHandle): ((text: string, params: unknown[]) => Promise<unknown>) | undefined {
  const client = (
    database.db as unknown as { $client?: { unsafe?: (t: string, p: unknown[], o: { prepare: boolean }) => Promise<unknown> } }
  ).$client;
  if (database.kind !== "postgres" || typeof client?.unsafe !== "function") return undefined;
  // A batch serves many requests: it runs outside any one request's scope (SPEC §13 deadline).
  return (text, params) => requestScope.exit(() => client.unsafe?.(text, params, { prepare: true }) as Promise<unknown>);
}

function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  return ((result as { rows?: Record<string, unknown>[] }).rows ?? []) as Record<string, unknown>[];
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
  private readonly configs = new Map<string, { config: ConnectionConfig; at: number }>();
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
    // A policy change (committed in this process) drops the org's cached configurations at once;
    // other processes see it within CONFIG_CACHE_MS.
    // Held weakly: a service that is gone (tests start many) unsubscribes at the next change.
    const cache = new WeakRef(this.configs);
    const unsubscribe = onPolicyChange((orgId) => {
      const configs = cache.deref();
      if (!configs) return unsubscribe();
      for (const [id, entry] of configs) if (entry.config.orgId === orgId) configs.delete(id);
    });
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

  /** A connection's configuration: cached (`fresh` false) or read now, which also refreshes the cache. */
  private async connection(id: string, fresh: boolean): Promise<ConnectionConfig | null> {
    const now = Date.now();
    const hit = fresh ? undefined : this.configs.get(id);
    if (hit && now - hit.at < CONFIG_CACHE_MS) return { ...hit.config, cached: true };
    const config = await this.loadConnection(id);
    this.configs.delete(id);
    if (config) {
      if (this.configs.size >= CONFIG_CACHE_SIZE) this.configs.delete(this.configs.keys().next().value as string);
      this.configs.set(id, { config, at: now });
    }
    return config;
  }

  private async loadConnection(id: string): Promise<ConnectionConfig | null> {
    const rows = await this.db(() =>
      this.database.db
        .select({
          id: connections.id,
          orgId: connections.orgId,
          orgSlug: organizations.slug,
          issuer: connections.issuer,
          status: connections.status,
          version: connections.version,
          maxTokenTtlSeconds: connections.maxTokenTtlSeconds,
          policyMaxTokenTtlSeconds: orgPolicies.maxTokenTtlSeconds,
          rulesetId: rulesets.id,
          label: rulesets.label,
          subject: rulesets.subject,
          conditions: rulesets.conditions,
          resources: rulesets.resources,
          scopes: rulesets.scopes,
          mode: rulesets.mode,
          expiresAt: rulesets.expiresAt,
        })
        .from(connections)
        .innerJoin(organizations, eq(organizations.id, connections.orgId))
        .leftJoin(orgPolicies, eq(orgPolicies.orgId, connections.orgId))
        .leftJoin(rulesets, eq(rulesets.connectionId, connections.id))
        .where(eq(connections.id, id))
        .orderBy(asc(rulesets.position)),
    );
    const first = rows[0];
    if (!first) return null;
    return {
      id: first.id,
      version: first.version,
      cached: false,
      orgId: first.orgId,
      orgSlug: first.orgSlug,
      issuer: first.issuer,
      status: first.status,
      maxTokenTtlSeconds: first.maxTokenTtlSeconds,
      policyMaxTokenTtlSeconds: first.policyMaxTokenTtlSeconds ?? first.maxTokenTtlSeconds,
      rulesets: rows
        .filter((r) => r.rulesetId !== null)
        .map((r) => ({
          id: r.rulesetId as string,
          label: r.label as string,
          subject: r.subject as string,
          conditions: r.conditions ?? [],
          resources: r.resources ?? [],
          scopes: r.scopes ?? [],
          mode: r.mode ?? "enforce",
          expiresAt: r.expiresAt ? r.expiresAt.toISOString() : null,
        })),
    };
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
    let connection = await this.connection(id, false);
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
      let audit: Record<string, unknown> = {};
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
          const fresh = await this.connection(id, true);
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
    const access = decision.access.map((g) => ({ type: "repository" as const, name: g.resource, actions: g.scopes }));
    const job = jobOf(claims);
    const event = toRow({
      orgId: connection.orgId,
      connectionId: connection.id,
      type: "token.exchanged",
      actor: this.actor(claims, true),
      outcome: "success",
      details: {
        rulesets: decision.matched,
        access: decision.access,
        repository: job.repository,
        repositoryId: job.repositoryId,
        ref: job.ref,
        sha: job.sha,
        workflow: job.workflow,
        jobWorkflowRef: job.jobWorkflowRef,
        runId: job.runId,
        runAttempt: job.runAttempt,
        serverUrl: this.serverUrl(connection.issuer),
        subject: job.sub,
        expiresIn: ttl,
        tokenId: jti,
        requestId: ctx.requestId,
        ...(decision.audit ? { audit: decision.audit } : {}),
      },
      ip: ctx.ip,
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
    const signed = this.sign(connection, claims, decision, access, jti, issuedAtMs, ttl);
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

  private async sign(
    connection: ConnectionConfig,
    claims: VerifiedClaims,
    decision: ReturnType<typeof evaluateRulesets>,
    access: { type: "repository"; name: string; actions: string[] }[],
    jti: string,
    issuedAtMs: number,
    ttl: number,
  ): Promise<string> {
    const { kid, key } = await this.keys.signingKey();
    const now = Math.floor(issuedAtMs / 1000);
    return new SignJWT({
      org: connection.orgSlug,
      connection_id: connection.id,
      rulesets: decision.matched,
      access,
      repository: claims.repository,
      ref: claims.ref,
      sha: claims.sha,
      run_id: claims.run_id,
      // iat in milliseconds: the revocation check compares it with tokensValidAfter (SPEC §6.4).
      iat_ms: issuedAtMs,
    })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid, typ: ACCESS_TOKEN_TYP })
      .setIssuer(this.env.publicUrl)
      .setSubject(claims.sub)
      .setAudience(this.env.accessTokenAudience)
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .setJti(jti)
      .sign(key);
  }

  /**
   * The GitHub web address of the connection's (trusted) issuer, so the console can link an event
   * to its workflow run; the development issuer imitates github.com.
   */
  private serverUrl(issuer: string): string | null {
    return issuer === this.env.devIssuerUrl ? "https://github.com" : githubServerUrl(issuer);
  }

  private actor(claims: Record<string, unknown> | undefined, verified: boolean): Actor {
    if (!claims || !verified) return { type: "workflow", id: null, name: "unverified workflow" };
    const name = clip(claims.job_workflow_ref) ?? clip(claims.workflow_ref) ?? clip(claims.repository) ?? clip(claims.sub) ?? "workflow";
    return { type: "workflow", id: clip(claims.sub), name };
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
    extra: Record<string, unknown> = {},
  ) {
    if (error.reason === "database_unavailable" || error.reason === "connection_changed") return;
    await this.db(() =>
      recordEvent(this.database.db, {
        orgId: connection.orgId,
        connectionId: connection.id,
        type: "token.denied",
        actor: this.actor(claims, verified),
        outcome: "failure",
        reason: error.reason,
        details: {
          error: error.error,
          description: error.description,
          requestId: ctx.requestId,
          verified,
          ...(claims ? { job: { ...jobOf(claims), serverUrl: this.serverUrl(connection.issuer) } } : {}),
          ...extra,
        },
        ip: ctx.ip,
      }),
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
    const stale = (column: typeof connections.lastUsedAt | typeof rulesets.lastUsedAt) =>
      or(isNull(column), lt(column, sql`now() - make_interval(secs => ${LAST_USED_INTERVAL_SECONDS})`));
    try {
      await this.gate.run(async () => {
        if (touchConnection)
          await this.database.db
            .update(connections)
            .set({ lastUsedAt: sql`now()` })
            .where(and(eq(connections.id, connectionId), stale(connections.lastUsedAt)));
        if (dueRulesets.length)
          await this.database.db
            .update(rulesets)
            .set({ lastUsedAt: sql`now()` })
            .where(and(inArray(rulesets.id, dueRulesets), stale(rulesets.lastUsedAt)));
      });
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

  async pruneUsedJtis(): Promise<number> {
    const result = await this.gate.run(() =>
      this.database.db.execute(sql`
        delete from ${usedJtis} where (issuer, jti) in (
          select issuer, jti from ${usedJtis} where expires_at < now() limit ${PRUNE_BATCH}
        ) returning 1`),
    );
    return rowsOf(result).length;
  }
}
