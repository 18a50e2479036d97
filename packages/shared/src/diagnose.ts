import { type Claims, type RulesetRule, rulesetMatches } from "./evaluate";
import { matchPattern } from "./matcher";

/** Why the closest ruleset refused a token: its subject pattern, or one of its conditions. */
export type NoMatchFailure =
  | {
      kind: "subject";
      pattern: string;
      /** The part of `sub` that matched the pattern's literal beginning before they diverged. */
      matchedPrefix: string;
    }
  | {
      kind: "condition";
      claim: string;
      pattern: string;
      /** The claim's value, or null when the token has no such string claim. */
      value: string | null;
    };

export interface NoMatchDiagnosis {
  /** Label of the closest ruleset. */
  label: string;
  failed: NoMatchFailure;
}

/**
 * How much of `sub` the pattern accounts for from the start: literal characters and `?` are
 * followed one code point at a time until the first `*`, a mismatch, or the end of either.
 */
function matchedPrefix(pattern: string, sub: string): string {
  const tokens = Array.from(pattern);
  const chars = Array.from(sub);
  let matched = 0;
  let units = 0;
  while (matched < tokens.length && matched < chars.length) {
    const token = tokens[matched];
    const char = chars[matched] ?? "";
    if (token === "*" || (token !== "?" && token !== char)) break;
    units += char.length;
    matched++;
  }
  return sub.slice(0, units);
}

function failingConditions(ruleset: RulesetRule, claims: Claims): NoMatchFailure[] {
  const failures: NoMatchFailure[] = [];
  for (const { claim, pattern } of ruleset.conditions ?? []) {
    const value = claims[claim];
    if (typeof value === "string" && matchPattern(pattern, value)) continue;
    failures.push({ kind: "condition", claim, pattern, value: typeof value === "string" ? value : null });
  }
  return failures;
}

/**
 * For a refused token exchange, the ruleset that came closest to matching and what it failed on,
 * so an admin can see which part of the token to look at. Null when some ruleset matches or there
 * are none.
 *
 * Rulesets whose subject matches come first, the fewest failing conditions closest (reporting the
 * first); otherwise the ruleset whose subject pattern follows `sub` furthest from the start. Ties go
 * to the earlier ruleset.
 */
export function diagnoseNoMatch(rulesets: readonly RulesetRule[], claims: Claims): NoMatchDiagnosis | null {
  if (rulesets.length === 0 || rulesets.some((r) => rulesetMatches(r, claims))) return null;
  const sub = typeof claims.sub === "string" ? claims.sub : null;

  let closest: NoMatchDiagnosis | null = null;
  let fewestFailures = Number.POSITIVE_INFINITY;
  for (const ruleset of rulesets) {
    if (sub === null || !matchPattern(ruleset.subject, sub)) continue;
    const failures = failingConditions(ruleset, claims);
    const [first] = failures;
    if (first && failures.length < fewestFailures) {
      fewestFailures = failures.length;
      closest = { label: ruleset.label, failed: first };
    }
  }
  if (closest) return closest;

  let longest = -1;
  for (const ruleset of rulesets) {
    const prefix = sub === null ? "" : matchedPrefix(ruleset.subject, sub);
    if (prefix.length > longest) {
      longest = prefix.length;
      closest = { label: ruleset.label, failed: { kind: "subject", pattern: ruleset.subject, matchedPrefix: prefix } };
    }
  }
  return closest;
}
