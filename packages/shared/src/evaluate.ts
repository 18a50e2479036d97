import { matchPattern } from "./matcher";
import { SCOPES, type Scope } from "./schemas/common";

/** The part of a ruleset that decides access (SPEC §4.2). */
export interface RulesetRule {
  label: string;
  subject: string;
  conditions?: readonly { claim: string; pattern: string }[] | undefined;
  resources: readonly string[];
  scopes: readonly Scope[];
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
 * Decision for a connection (SPEC §4.2): allowed when at least one ruleset matches; each resource
 * named by a matching ruleset gets the union of the scopes of the matching rulesets naming it.
 */
export function evaluateRulesets(rulesets: readonly RulesetRule[], claims: Claims): Evaluation {
  const matched: string[] = [];
  const byResource = new Map<string, Set<Scope>>();
  for (const ruleset of rulesets) {
    if (!rulesetMatches(ruleset, claims)) continue;
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
  return { allowed: matched.length > 0, matched, access };
}
