import type { Warning } from "@oidc/shared";

/** A short name per warning code, for compact lines and grouped notes. */
export const WARNING_TITLES: Record<string, string> = {
  never_matches: "Cannot match any GitHub subject",
  owner_wildcard: "Any GitHub account could match",
  matches_pull_requests: "Pull-request jobs match",
  any_ref: "Every branch, tag and environment matches",
  name_only_subject: "Name-only subject",
  shadowed: "Never adds access",
};

/** The advice of a code in general words, said once when several rulesets share it. */
const GROUP_ADVICE: Record<string, string | ((o: { owner: string; ownerId: string }) => string)> = {
  owner_wildcard: "Any GitHub account could match these rulesets: replace the owner wildcard with your organisation.",
  matches_pull_requests:
    "Pull-request jobs match these rulesets, so a workflow run for an unreviewed pull request gets their scopes: name the branch or environment instead.",
  any_ref:
    "Every branch, tag, environment and event of these rulesets' repositories can get their scopes: name one in the subject, or add a ref or environment condition.",
  name_only_subject: ({ owner, ownerId }) =>
    `These rulesets use name-only subjects (repo:${owner}/…): repositories that send immutable subjects (repo:${owner}@${ownerId}/…) will not match them, and an account that takes over the name ${owner} would. Use the immutable form, or add the condition repository_owner_id = ${ownerId}.`,
};

function adviceFor(code: string, known: { owner: string; ownerId: string }): string {
  const advice = GROUP_ADVICE[code];
  if (advice === undefined) return "";
  return typeof advice === "string" ? advice : advice(known);
}

export interface WarningGroup {
  code: string;
  title: string;
  advice: string;
  /** Labels of the rulesets that have it, in ruleset order. */
  labels: string[];
}

export interface RulesetWarning extends Warning {
  /** Said once for several rulesets (see `groups`): shown as a short line. */
  grouped: boolean;
}

/**
 * Advice that repeats on several rulesets is said once, above them, naming the rulesets; each of
 * those rulesets keeps a short line (and its fix). Advice for one ruleset stays whole beside it.
 */
export function groupWarnings(
  warnings: readonly Warning[][],
  labels: readonly string[],
  owner: { githubOwner: string | null; githubOwnerId: string | null } = { githubOwner: null, githubOwnerId: null },
) {
  const known = { owner: owner.githubOwner ?? "<owner>", ownerId: owner.githubOwnerId ?? "<owner-id>" };
  const byCode = new Map<string, string[]>();
  warnings.forEach((list, i) => {
    for (const w of list) byCode.set(w.code, [...(byCode.get(w.code) ?? []), labels[i] ?? `Ruleset ${i + 1}`]);
  });
  // Only advice that reads the same for every ruleset is grouped; "cannot match" and "never adds
  // access" say something specific to each ruleset, so they stay whole.
  const repeated = new Set([...byCode].filter(([code, l]) => l.length > 1 && code in GROUP_ADVICE).map(([code]) => code));
  const groups: WarningGroup[] = [...byCode]
    .filter(([code]) => repeated.has(code))
    .map(([code, l]) => ({
      code,
      title: WARNING_TITLES[code] ?? code,
      advice: adviceFor(code, known),
      labels: l,
    }));
  const perRuleset: RulesetWarning[][] = warnings.map((list) => list.map((w) => ({ ...w, grouped: repeated.has(w.code) })));
  return { groups, perRuleset };
}
