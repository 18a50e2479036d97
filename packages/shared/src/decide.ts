import { diagnoseNoMatch, type NoMatchDiagnosis } from "./diagnose";
import { type Claims, type Evaluation, evaluateRulesets, type RulesetRule } from "./evaluate";

/** What a token exchange is decided on, besides the token's claims. */
export interface DecisionInput {
  status: "active" | "inactive";
  rulesets: readonly RulesetRule[];
}

/**
 * Why a connection refuses a token, in the order they are checked. Open for more (expiry, audit
 * mode): each is a code the token endpoint also records, and the console explains.
 */
export type RefusalReason = "connection_inactive" | "no_matching_ruleset";

export interface Decision extends Evaluation {
  /** Null when allowed. */
  reason: RefusalReason | null;
  /** For `no_matching_ruleset`: the ruleset that came closest and what it failed on. */
  diagnosis: NoMatchDiagnosis | null;
}

/**
 * The whole decision for a connection and a token's claims (SPEC §4.2 plus the connection's state):
 * an inactive connection refuses every token. `matched` always lists the rulesets that match the
 * claims, so a refusal can still say which ones would; `access` is what is granted, so empty when
 * refused. Used by the simulate endpoint and the console's Test tab alike.
 */
export function decideExchange(connection: DecisionInput, claims: Claims): Decision {
  const evaluation = evaluateRulesets(connection.rulesets, claims);
  if (connection.status !== "active")
    return { allowed: false, matched: evaluation.matched, access: [], reason: "connection_inactive", diagnosis: null };
  if (!evaluation.allowed) return { ...evaluation, reason: "no_matching_ruleset", diagnosis: diagnoseNoMatch(connection.rulesets, claims) };
  return { ...evaluation, reason: null, diagnosis: null };
}

/** One sentence per refusal reason, for people. */
export const REFUSAL_MESSAGES: Record<RefusalReason, string> = {
  connection_inactive: "The connection is inactive: every token exchange is refused until an owner activates it.",
  no_matching_ruleset: "No ruleset matches these claims, so the exchange would be refused.",
};
