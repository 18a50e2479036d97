import { diagnoseNoMatch, type NoMatchDiagnosis } from "./diagnose";
import { type Claims, type Evaluation, evaluateRulesets, isExpired, type RulesetRule } from "./evaluate";
import type { ConnectionStatus } from "./schemas/common";

/** What a token exchange is decided on, besides the token's claims. */
export interface DecisionInput {
  status: ConnectionStatus;
  rulesets: readonly RulesetRule[];
}

/**
 * Why a connection refuses a token, in the order they are checked: each is a code the token
 * endpoint also records, and the console explains. `ruleset_expired`: no ruleset matches, but an
 * expired `enforce` ruleset would have (SPEC §11: refused only because its ruleset expired).
 */
export type RefusalReason = "connection_inactive" | "ruleset_expired" | "no_matching_ruleset";

export interface Decision extends Evaluation {
  /** Null when allowed. */
  reason: RefusalReason | null;
  /** For `no_matching_ruleset`: the ruleset that came closest and what it failed on. */
  diagnosis: NoMatchDiagnosis | null;
}

/**
 * The whole decision for a connection and a token's claims at `now` (ms since the epoch; SPEC §4.2,
 * §11, plus the connection's state): an inactive connection refuses every token. `matched` always
 * lists the rulesets that match the claims, so a refusal can still say which ones would; `access` is
 * what is granted, so empty when refused; `audit` the audit rulesets that would have matched. Used by
 * the token endpoint, the simulate endpoint and the console's Test tab alike.
 */
export function decideExchange(connection: DecisionInput, claims: Claims, now: number = Date.now()): Decision {
  const evaluation = evaluateRulesets(connection.rulesets, claims, now);
  if (connection.status !== "active") return { ...evaluation, allowed: false, access: [], reason: "connection_inactive", diagnosis: null };
  if (evaluation.allowed) return { ...evaluation, reason: null, diagnosis: null };
  const enforcedExpired = connection.rulesets.some((r) => r.mode !== "audit" && (evaluation.expired ?? []).includes(r.label));
  if (enforcedExpired) return { ...evaluation, reason: "ruleset_expired", diagnosis: null };
  // The closest miss among the rulesets that could have granted: enforced and not expired.
  const live = connection.rulesets.filter((r) => r.mode !== "audit" && !isExpired(r, now));
  return { ...evaluation, reason: "no_matching_ruleset", diagnosis: diagnoseNoMatch(live, claims) };
}

/** One sentence per refusal reason, for people. */
export const REFUSAL_MESSAGES: Record<RefusalReason, string> = {
  connection_inactive: "The connection is inactive: every token exchange is refused until an owner activates it.",
  ruleset_expired: "Only an expired ruleset matches these claims, so the exchange would be refused: extend or remove its expiry.",
  no_matching_ruleset: "No ruleset matches these claims, so the exchange would be refused.",
};
