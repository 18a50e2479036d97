import type { ConnectionStatus, RulesetRule } from "@oidc/shared";
import { asc, eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { connections, organizations, orgPolicies, rulesetRuleColumns, rulesets } from "../db/schema";
import { onPolicyChange } from "../policy/service";

/** Connection configurations are cached this long, at most this many (oldest evicted first). */
export const CONFIG_CACHE_MS = 30_000;
const CONFIG_CACHE_SIZE = 10_000;
/** Refusals that a cached configuration could cause wrongly: confirmed against a fresh read first. */
export const CONFIG_DEPENDENT = new Set<string>(["connection_inactive", "untrusted_issuer", "no_matching_ruleset", "ruleset_expired"]);

/** What the exchange needs of a connection: its status, issuer, limits and rulesets, at one version. */
export interface ConnectionConfig {
  id: string;
  version: number;
  /** Came from the in-memory cache (not re-read for this request). */
  cached: boolean;
  orgId: string;
  orgSlug: string;
  issuer: string;
  status: ConnectionStatus;
  maxTokenTtlSeconds: number;
  /** The organisation policy's cap (SPEC §11): tokens live at most min(this, maxTokenTtlSeconds). */
  policyMaxTokenTtlSeconds: number;
  rulesets: (RulesetRule & { id: string })[];
}

/**
 * The exchange's configuration cache (docs/token-service.md "Decision, replay and effects"): a
 * connection with its rulesets, read in one query and kept up to CONFIG_CACHE_MS. Trusted only on
 * the success path (the record statement re-checks status and version); refusals that depend on
 * it are confirmed with `get(id, true)`. A policy change committed in this process drops the
 * org's entries at once; other processes see it within CONFIG_CACHE_MS.
 */
export class ConnectionConfigCache {
  private readonly configs = new Map<string, { config: ConnectionConfig; at: number }>();

  /** `run` wraps every read (the token service's gate and its database-failure mapping). */
  constructor(
    private readonly db: Database,
    private readonly run: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {
    // Held weakly: a service that is gone (tests start many) unsubscribes at the next change.
    const cache = new WeakRef(this.configs);
    const unsubscribe = onPolicyChange((orgId) => {
      const configs = cache.deref();
      if (!configs) return unsubscribe();
      for (const [id, entry] of configs) if (entry.config.orgId === orgId) configs.delete(id);
    });
  }

  /** A connection's configuration: cached (`fresh` false) or read now, which also refreshes the cache. */
  async get(id: string, fresh: boolean): Promise<ConnectionConfig | null> {
    const now = Date.now();
    const hit = fresh ? undefined : this.configs.get(id);
    if (hit && now - hit.at < CONFIG_CACHE_MS) return { ...hit.config, cached: true };
    const config = await this.read(id);
    this.configs.delete(id);
    if (config) {
      if (this.configs.size >= CONFIG_CACHE_SIZE) this.configs.delete(this.configs.keys().next().value as string);
      this.configs.set(id, { config, at: now });
    }
    return config;
  }

  private async read(id: string): Promise<ConnectionConfig | null> {
    const rows = await this.run(() =>
      this.db
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
          ...rulesetRuleColumns,
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
}
