import { matchPattern } from "./matcher";
import { type RulesetMode, SCOPES, type Scope } from "./schemas/common";

/** The part of a ruleset that decides access (SPEC §4.2). */
export interface RulesetRule {
  label: string;
  subject: string;
  conditions?: readonly { claim: string; pattern: string }[] | undefined;
  resources: readonly string[];
  scopes: readonly Scope[];
  /** `audit` rulesets never grant; they only report that they would have matched (SPEC §11). Default `enforce`. */
  mode?: RulesetMode | undefined;
  /** ISO 8601; from this instant on the ruleset matches nothing (SPEC §11). */
  expiresAt?: string | null | undefined;
}

/** The fields of a ruleset that say whom it lets in and to what (its rule), without expiry, id or history. */
export type RuleFields = "label" | "subject" | "conditions" | "resources" | "scopes" | "mode";

/**
 * The rule of a ruleset (a stored row, an API answer, a file entry): its label, subject,
 * conditions, resources, scopes and mode, copied out with their own types. The one place that
 * lists them, so a field added to the rule is added to every copy.
 */
export function ruleOf<R extends Pick<RulesetRule, RuleFields>>(r: R): Pick<R, RuleFields> {
  return { label: r.label, subject: r.subject, conditions: r.conditions, resources: r.resources, scopes: r.scopes, mode: r.mode };
}

export type Claims = Readonly<Record<string, unknown>>;

export interface Grant {
  resource: string;
  scopes: Scope[];
}

export interface Evaluation {
  allowed: boolean;
  /** Labels of the matching rulesets, in ruleset order. */
  matched: string[];
  access: Grant[];
  /** Labels of the `audit` rulesets that would have matched (not expired), in ruleset order; only when there are any. */
  audit?: string[];
  /** Labels of the expired rulesets that would match these claims but for their expiry, in ruleset order; only when there are any. */
  expired?: string[];
}

/** Is the ruleset past its `expiresAt` at `now` (ms since the epoch)? An unparsable date counts as expired. */
export function isExpired(ruleset: Pick<RulesetRule, "expiresAt">, now: number): boolean {
  if (ruleset.expiresAt == null) return false;
  const at = Date.parse(ruleset.expiresAt);
  return !(at > now);
}

/** Does one ruleset match these claims: subject pattern on `sub`, and every condition. */
export function rulesetMatches(ruleset: RulesetRule, claims: Claims): boolean {
  const sub = claims.sub;
  if (typeof sub !== "string" || !matchPattern(ruleset.subject, sub)) return false;
  for (const condition of ruleset.conditions ?? []) {
    const value = claims[condition.claim];
    if (typeof value !== "string" || !matchPattern(condition.pattern, value)) return false;
  }
  return true;
}

/** Puts scopes in the canonical order `pull`, `push`, `delete`, without duplicates. */
export function sortScopes(scopes: Iterable<Scope>): Scope[] {
  const set = new Set(scopes);
  return SCOPES.filter((s) => set.has(s));
}

/**
 * Decision for a connection (SPEC §4.2, §11): allowed when at least one `enforce` ruleset that has
 * not expired at `now` matches; each resource named by such a ruleset gets the union of the scopes
 * of the matching rulesets naming it. `audit` rulesets never grant: they are listed in `audit` when
 * they would have matched. Expired rulesets match nothing; they are listed in `expired` when they
 * would have (both lists are left out when empty, so a connection without audit or expiring rulesets
 * evaluates exactly as in SPEC §4.5). Pure: the time is a value (ms since the epoch), so every caller decides alike.
 */
export function evaluateRulesets(rulesets: readonly RulesetRule[], claims: Claims, now: number = Date.now()): Evaluation {
  const matched: string[] = [];
  const audit: string[] = [];
  const expired: string[] = [];
  const byResource = new Map<string, Set<Scope>>();
  for (const ruleset of rulesets) {
    if (!rulesetMatches(ruleset, claims)) continue;
    if (isExpired(ruleset, now)) {
      expired.push(ruleset.label);
      continue;
    }
    if (ruleset.mode === "audit") {
      audit.push(ruleset.label);
      continue;
    }
    matched.push(ruleset.label);
    for (const resource of ruleset.resources) {
      let scopes = byResource.get(resource);
      if (!scopes) {
        scopes = new Set();
        byResource.set(resource, scopes);
      }
      for (const scope of ruleset.scopes) scopes.add(scope);
    }
  }
  const access = [...byResource.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((resource) => ({ resource, scopes: sortScopes(byResource.get(resource) ?? []) }));
  return {
    allowed: matched.length > 0,
    matched,
    access,
    ...(audit.length ? { audit } : {}),
    ...(expired.length ? { expired } : {}),
  };
}
