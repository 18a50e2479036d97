import { isExpired, type RulesetRule } from "./evaluate";
import { matchPattern, PATTERN_WILDCARDS } from "./matcher";
import type { Warning } from "./schemas/connections";
import { readSubjectPattern, type SubjectPatternHead } from "./subject";
import { indexOfAny, isDigit } from "./util";

/**
 * Ruleset warnings (SPEC §4.4). Saving never fails for these; the API returns them with the
 * connection and the console shows them beside the ruleset.
 *
 * Whether a subject pattern can match some kind of GitHub subject is decided exactly, by searching
 * the product of the pattern and a small automaton for GitHub subjects (below). The search yields a
 * witness subject, which is checked once more with `matchPattern` before a warning relies on it.
 */

export const WARNING_CODES = [
  "never_matches",
  "owner_wildcard",
  "matches_pull_requests",
  "any_ref",
  "name_only_subject",
  "push_without_pull",
  "shadowed",
  "expires_soon",
  "expired",
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

// ----- GitHub subjects as an automaton -----
//
// repo:<owner>/<repository>:<context>, where owner and repository are names (no `/`, `:` or `@`),
// either both plain or both followed by `@<numeric id>` (immutable subjects, SPEC §4.1). The
// context is `pull_request`, `ref:refs/…`, or `<claim>:<value>` for any other claim key
// (`environment:prod`, `job_workflow_ref:…`, and customised subjects that add claims).

interface Grammar {
  /** "strict": both IDs or neither; "mixed": also one ID without the other. */
  ids: "strict" | "mixed";
  /** "any": every GitHub context; "pull_request": exactly `:pull_request`; "head": stop after `:`; "loose": anything or nothing. */
  context: "any" | "pull_request" | "head" | "loose";
}

const PREFIX = "repo:";
const PULL_REQUEST = "pull_request";
const REFS = "refs/";
/** Claim keys whose prefixes the context automaton tells apart: `ref` must continue with `:refs/`. */
const KEY_PREFIXES = [...prefixesOf("ref"), ...prefixesOf(PULL_REQUEST)];

const DEAD = -1;
// 0..4: reading "repo:".
const OWNER0 = 5;
const OWNER = 6;
const OWNER_AT = 7;
const OWNER_ID = 8;
const REPO0 = 9; // after `owner/`
const REPO = 10;
const REPO0_IMM = 11; // after `owner@id/`
const REPO_IMM = 12;
const REPO_AT = 13;
const REPO_ID = 14;
const CONTEXT = 15; // just after `:`
const ANY = 16;
const KEY_OTHER = 17;
const REF_VALUE = 18; // 18..22: reading "refs/"
const KEY = REF_VALUE + REFS.length; // one state per KEY_PREFIXES entry
const PR = KEY + KEY_PREFIXES.length; // PR + k: read k characters of "pull_request"
const STATES = PR + PULL_REQUEST.length + 1;

/** Stands for every character a wildcard could supply: the automaton treats all others like `x` or `0`. */
const WILDCARD_CHARS = [...new Set(`${PREFIX}/@${PULL_REQUEST}:${REFS}x0`)];

function prefixesOf(word: string): string[] {
  return Array.from(word, (_, i) => word.slice(0, i + 1));
}

const isNameChar = (c: string) => c !== "/" && c !== ":" && c !== "@";
/** Claim keys in customised subjects: GitHub claims are lowercase; `repo_property_<name>` may add more. */
const isKeyChar = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || isDigit(c) || "_-$#".includes(c);

function keyStep(prefix: string, c: string): number {
  const i = KEY_PREFIXES.indexOf(prefix + c);
  return i < 0 ? KEY_OTHER : KEY + i;
}

function step(g: Grammar, s: number, c: string): number {
  if (s < OWNER0) return c === PREFIX[s] ? s + 1 : DEAD;
  const mixed = g.ids === "mixed";
  switch (s) {
    case OWNER0:
      return isNameChar(c) ? OWNER : DEAD;
    case OWNER:
      return isNameChar(c) ? OWNER : c === "@" ? OWNER_AT : c === "/" ? REPO0 : DEAD;
    case OWNER_AT:
      return isDigit(c) ? OWNER_ID : DEAD;
    case OWNER_ID:
      return isDigit(c) ? OWNER_ID : c === "/" ? REPO0_IMM : DEAD;
    case REPO0:
      return isNameChar(c) ? REPO : DEAD;
    case REPO:
      return isNameChar(c) ? REPO : c === ":" ? CONTEXT : c === "@" && mixed ? REPO_AT : DEAD;
    case REPO0_IMM:
      return isNameChar(c) ? REPO_IMM : DEAD;
    case REPO_IMM:
      return isNameChar(c) ? REPO_IMM : c === "@" ? REPO_AT : c === ":" && mixed ? CONTEXT : DEAD;
    case REPO_AT:
      return isDigit(c) ? REPO_ID : DEAD;
    case REPO_ID:
      return isDigit(c) ? REPO_ID : c === ":" ? CONTEXT : DEAD;
    case ANY:
      return ANY;
  }
  if (s === CONTEXT) {
    if (g.context === "head") return DEAD;
    if (g.context === "loose") return ANY;
    if (g.context === "pull_request") return c === PULL_REQUEST[0] ? PR + 1 : DEAD;
    return isKeyChar(c) ? keyStep("", c) : DEAD;
  }
  if (s >= PR) return c === PULL_REQUEST[s - PR] ? s + 1 : DEAD;
  if (s >= KEY) {
    const prefix = KEY_PREFIXES[s - KEY] ?? "";
    if (isKeyChar(c)) return keyStep(prefix, c);
    return c === ":" ? (prefix === "ref" ? REF_VALUE : ANY) : DEAD;
  }
  if (s >= REF_VALUE) {
    if (c !== REFS[s - REF_VALUE]) return DEAD;
    return s + 1 === KEY ? ANY : s + 1;
  }
  // KEY_OTHER
  return isKeyChar(c) ? KEY_OTHER : c === ":" ? ANY : DEAD;
}

function accepts(g: Grammar, s: number): boolean {
  switch (g.context) {
    case "head":
      return s === CONTEXT;
    case "pull_request":
      return s === PR + PULL_REQUEST.length;
    case "loose":
      return s === ANY || s === CONTEXT || s === REPO || s === REPO_IMM || s === REPO_ID;
    case "any":
      return s === ANY || s === KEY + KEY_PREFIXES.indexOf(PULL_REQUEST);
  }
}

interface Language {
  grammar: Grammar;
  /** Per state, the distinct states a wildcard character can lead to, each with one such character. */
  wildcardMoves: readonly (readonly { to: number; c: string }[])[];
  /** `findSubject`'s answers by pattern: it is pure, and the same rulesets are linted at every read (GET lints them all). */
  found: Map<string, string | null>;
}

/** Patterns remembered per language; past it the memory starts again (a bound, not an LRU: a full clear is cheap and rare). */
const FOUND_MEMO_SIZE = 2000;

function language(grammar: Grammar): Language {
  const wildcardMoves = Array.from({ length: STATES }, (_, s) => {
    const moves = new Map<number, string>();
    for (const c of WILDCARD_CHARS) {
      const to = step(grammar, s, c);
      if (to !== DEAD && !moves.has(to)) moves.set(to, c);
    }
    return [...moves].map(([to, c]) => ({ to, c }));
  });
  return { grammar, wildcardMoves, found: new Map() };
}

const SUBJECTS = language({ ids: "strict", context: "any" });
const PULL_REQUEST_SUBJECTS = language({ ids: "strict", context: "pull_request" });
const SUBJECT_HEADS = language({ ids: "strict", context: "head" });
const MIXED_ID_SUBJECTS = language({ ids: "mixed", context: "any" });
const SUBJECTS_WITHOUT_CONTEXT = language({ ids: "mixed", context: "loose" });

/** A string of the language that the pattern matches, or null when there is none (remembered per pattern). */
function findSubject(pattern: string, lang: Language): string | null {
  const known = lang.found.get(pattern);
  if (known !== undefined) return known;
  const found = searchSubject(pattern, lang);
  if (lang.found.size >= FOUND_MEMO_SIZE) lang.found.clear();
  lang.found.set(pattern, found);
  return found;
}

/**
 * Breadth-first search over (pattern position, automaton state) for a string of the language the
 * pattern matches: at most (|pattern| + 1) × STATES nodes.
 */
function searchSubject(pattern: string, { grammar, wildcardMoves }: Language): string | null {
  const tokens = Array.from(pattern);
  const n = tokens.length;
  const from = new Int32Array((n + 1) * STATES).fill(-1);
  const emitted: string[] = [];
  const queue = [0]; // position 0, state 0
  from[0] = 0;
  let node = 0;
  const visit = (next: number, c: string) => {
    if (from[next] !== -1) return;
    from[next] = node;
    emitted[next] = c;
    queue.push(next);
  };
  for (let head = 0; head < queue.length; head++) {
    node = queue[head] ?? 0;
    const i = Math.floor(node / STATES);
    const s = node % STATES;
    if (i === n) {
      if (accepts(grammar, s)) return witness(node, from, emitted);
      continue;
    }
    const token = tokens[i] ?? "";
    if (token === "*") {
      visit(node + STATES, "");
      for (const { to, c } of wildcardMoves[s] ?? []) visit(i * STATES + to, c);
    } else if (token === "?") {
      for (const { to, c } of wildcardMoves[s] ?? []) visit((i + 1) * STATES + to, c);
    } else {
      const to = step(grammar, s, token);
      if (to !== DEAD) visit((i + 1) * STATES + to, token);
    }
  }
  return null;
}

function witness(node: number, from: Int32Array, emitted: readonly string[]): string {
  const parts: string[] = [];
  for (let at = node; at !== 0; at = from[at] ?? 0) parts.push(emitted[at] ?? "");
  return parts.reverse().join("");
}

/** A string of the language that this pattern matches, confirmed with the matcher itself. */
function matchedSubject(pattern: string, lang: Language): string | null {
  const subject = findSubject(pattern, lang);
  return subject !== null && matchPattern(pattern, subject) ? subject : null;
}

/** Owner and repository to show in examples: the subject's own, else those of the ruleset's resources. */
function exampleHead(ruleset: RulesetRule, shape: SubjectPatternHead): string {
  const [org, name] = (ruleset.resources[0] ?? "").split("/");
  const owner = shape.owner ?? (org || "your-org");
  const repo = shape.repo ?? (name || "your-repo");
  if (shape.ownerId === null) return `${PREFIX}${owner}/${repo}`;
  return `${PREFIX}${owner}${shape.ownerId}/${repo}${shape.repoId ?? "@<repository-id>"}`;
}

/** What the subject admits, in words: "repo:octo-org/api", "every repository of octo-org", "any repository of any owner". */
function scopeInWords(ruleset: RulesetRule, shape: SubjectPatternHead): string {
  if (shape.owner === null) return "any repository of any owner";
  if (shape.repo === null) return `every repository of ${shape.owner}`;
  return exampleHead(ruleset, shape);
}

const stars = (p: string) => p.length > 0 && [...p].every((c) => c === "*");

// ----- the warnings -----

const NEVER_EXAMPLE = "repo:octo-org/api:ref:refs/heads/main";

function neverMatches(ruleset: RulesetRule, shape: SubjectPatternHead): Warning | null {
  const { subject } = ruleset;
  if (findSubject(subject, SUBJECTS) !== null) return null;
  const owner = shape.owner ?? "octo-org";
  const repo = shape.repo ?? "api";
  let message: string;
  if (findSubject(subject, MIXED_ID_SUBJECTS) !== null) {
    message =
      "This subject cannot match: GitHub sends owner and repository both without IDs or both with IDs: " +
      `write repo:${owner}@<owner-id>/${repo}@<repository-id>:… or repo:${owner}/${repo}:….`;
  } else if (findSubject(subject, SUBJECTS_WITHOUT_CONTEXT) !== null) {
    const head = shape.owner !== null && shape.repo !== null ? exampleHead(ruleset, shape) : "repo:octo-org/api";
    message =
      "This subject cannot match: after the repository GitHub sends :ref:refs/heads/<branch>, :ref:refs/tags/<tag>, " +
      `:environment:<name> or :pull_request, e.g. ${head}:ref:refs/heads/main (or ${head}:* for all of them).`;
  } else {
    message = `This subject cannot match: GitHub subjects look like repo:<owner>/<repository>:<context>, e.g. ${NEVER_EXAMPLE}.`;
  }
  return { code: "never_matches", message };
}

function ownerWildcard(ruleset: RulesetRule, shape: SubjectPatternHead): Warning | null {
  if (shape.owner !== null) return null;
  const { subject } = ruleset;
  const org = (ruleset.resources[0] ?? "").split("/")[0] || "your-org";
  const rest = subject.slice(shape.ownerEnd);
  const example = subject.startsWith(PREFIX)
    ? `${PREFIX}${org}${rest.startsWith("/") || rest.startsWith("@") ? rest : `/*${rest}`}`
    : `${PREFIX}${org}/*`;
  return {
    code: "owner_wildcard",
    message: `Any GitHub account could match ${subject}: replace the owner wildcard with your organisation, e.g. ${example}.`,
  };
}

/** Event names of jobs whose subject ends in `:pull_request`. */
const PULL_REQUEST_EVENTS = ["pull_request", "pull_request_target"];

function matchesPullRequests(ruleset: RulesetRule, shape: SubjectPatternHead): Warning | null {
  const conditions = ruleset.conditions ?? [];
  // Pull-request jobs fail an `environment` condition (a job with an environment gets an `environment:`
  // subject instead) and an `event_name` condition that matches neither pull-request event.
  const excluded = conditions.some(
    (c) => c.claim === "environment" || (c.claim === "event_name" && !PULL_REQUEST_EVENTS.some((e) => matchPattern(c.pattern, e))),
  );
  if (excluded || matchedSubject(ruleset.subject, PULL_REQUEST_SUBJECTS) === null) return null;
  const head = exampleHead(ruleset, shape);
  return {
    code: "matches_pull_requests",
    message:
      `Pull-request jobs (${head}:pull_request) match too, so a workflow run for an unreviewed pull request gets these scopes: ` +
      `name the branch or environment instead, e.g. ${head}:ref:refs/heads/main or ${head}:environment:production.`,
  };
}

/** Claims whose conditions narrow which refs, environments or events a ruleset accepts. */
const NARROWING_CLAIMS: ReadonlySet<string> = new Set([
  "ref",
  "ref_type",
  "ref_protected",
  "environment",
  "event_name",
  "base_ref",
  "head_ref",
  "workflow_ref",
  "job_workflow_ref",
]);

/** Contexts of one repository that a subject allowing "any ref, environment and event" must all accept. */
const PROBE_CONTEXTS = ["ref:refs/heads/main", "ref:refs/tags/v1", "environment:production", PULL_REQUEST];

function anyRef(ruleset: RulesetRule, shape: SubjectPatternHead): Warning | null {
  const { subject } = ruleset;
  const narrowed = (ruleset.conditions ?? []).some(
    (c) => NARROWING_CLAIMS.has(c.claim) && (c.claim === "environment" || !stars(c.pattern)),
  );
  if (narrowed || !subject.endsWith("*")) return null;
  // Some `repo:<owner>/<repository>:` is a prefix the pattern accepts before its final `*`.
  const head = matchedSubject(subject, SUBJECT_HEADS);
  if (head === null || !PROBE_CONTEXTS.every((c) => matchPattern(subject, head + c))) return null;
  // `repo:octo-org/api*` also admits `api-old`, `api2`, …
  const slash = subject.indexOf("/", shape.ownerEnd);
  const repoPrefix = shape.owner !== null && slash >= 0 ? subject.slice(slash + 1, -1) : "";
  const isRepoPrefix = repoPrefix !== "" && indexOfAny(repoPrefix, `/@:${PATTERN_WILDCARDS}`, 0) === repoPrefix.length;
  const named = isRepoPrefix ? { ...shape, repo: repoPrefix } : shape;
  const example = exampleHead(ruleset, named);
  const what = isRepoPrefix ? `${example} and of every repository whose name starts with ${repoPrefix}` : scopeInWords(ruleset, named);
  return {
    code: "any_ref",
    message:
      `Every branch, tag, environment and event of ${what} can get these scopes: ` +
      `name one, e.g. ${example}:ref:refs/heads/main, or add a ref or environment condition.`,
  };
}

/** What the deployment knows about the org's GitHub owner: its IDs go into advice instead of placeholders. */
export interface KnownOwner {
  owner?: string | null | undefined;
  ownerId?: string | null | undefined;
}

/** The owner's numeric ID when it is known for this owner name (GitHub names are case-insensitive). */
function knownOwnerId(owner: string, known: KnownOwner): string | null {
  if (!known.owner || !known.ownerId || !/^[0-9]{1,20}$/.test(known.ownerId)) return null;
  return known.owner.toLowerCase() === owner.toLowerCase() ? known.ownerId : null;
}

function nameOnlySubject(ruleset: RulesetRule, shape: SubjectPatternHead, known: KnownOwner): Warning | null {
  const { owner, ownerEnd, ownerId } = shape;
  if (owner === null || ownerId !== null) return null;
  const ownerIdCondition = (ruleset.conditions ?? []).some((c) => c.claim === "repository_owner_id" && !stars(c.pattern));
  if (ownerIdCondition) return null;
  const { subject } = ruleset;
  const slash = subject.indexOf("/", ownerEnd);
  // `repo:octo-org@*/…` matches immutable subjects, but with any owner ID.
  const idWildcard = subject.charAt(ownerEnd) === "@";
  const id = knownOwnerId(owner, known);
  const rewritten =
    (!idWildcard && id !== null ? immutableSubject(subject, id) : null) ?? fallbackRewrite(subject, shape, idWildcard, slash);
  const ownerRef = id ?? "<owner-id>";
  const risk = idWildcard
    ? `The owner ID is a wildcard, so an account that takes over the name ${owner} would match`
    : `Repositories that send immutable subjects (repo:${owner}@${ownerRef}/…) will not match, and an account that takes over the name ${owner} would`;
  return {
    code: "name_only_subject",
    message:
      id !== null
        ? `${risk}: write ${rewritten}, or add the condition repository_owner_id = ${id}.`
        : `${risk}: write ${rewritten} with the ID of ${owner}, or add a repository_owner_id condition.`,
  };
}

function fallbackRewrite(subject: string, { owner, repo, repoEnd }: SubjectPatternHead, idWildcard: boolean, slash: number): string {
  const rest =
    !idWildcard && repo !== null && subject.charAt(repoEnd) === ":"
      ? `/${repo}@<repository-id>${subject.slice(repoEnd)}`
      : slash < 0
        ? "/*"
        : subject.slice(slash);
  return `${PREFIX}${owner}@<owner-id>${rest}`;
}

/**
 * The immutable form of a name-only subject pattern, for an owner whose ID is known: the owner gets
 * `@<id>` and a literal repository `@*` (any repository ID), so `repo:octo-org/web:ref:refs/heads/main`
 * becomes `repo:octo-org@1234567/web@*:ref:refs/heads/main`. Every job the old pattern let in from
 * that owner is let in by the new one once its repository sends immutable subjects. Null when the
 * pattern is not name-only with a literal owner, or its repository part cannot take an `@id`.
 */
export function immutableSubject(subject: string, ownerId: string): string | null {
  if (!/^[0-9]{1,20}$/.test(ownerId)) return null;
  const shape = readSubjectPattern(subject);
  if (shape.owner === null || shape.ownerId !== null || subject.charAt(shape.ownerEnd) !== "/") return null;
  const head = `${PREFIX}${shape.owner}@${ownerId}/`;
  if (shape.repo !== null && subject.charAt(shape.repoEnd) === ":") return `${head}${shape.repo}@*${subject.slice(shape.repoEnd)}`;
  const rest = subject.slice(shape.ownerEnd + 1);
  const colon = rest.indexOf(":");
  const repoPart = colon < 0 ? rest : rest.slice(0, colon);
  // A repository part ending in `*` already takes `@<id>`; any other shape is left to the admin.
  return repoPart.endsWith("*") ? `${head}${rest}` : null;
}

/** Registries built on CNCF distribution need `pull` with `push` to upload (SPEC §9). */
function pushWithoutPull(ruleset: RulesetRule): Warning | null {
  if (!ruleset.scopes.includes("push") || ruleset.scopes.includes("pull")) return null;
  const scopes = ruleset.scopes.includes("delete") ? "pull, push and delete" : "pull and push";
  return {
    code: "push_without_pull",
    message: `A registry needs pull as well as push to upload an image, so push alone cannot push: grant ${scopes}.`,
  };
}

/**
 * Certain only: `general` matches every value `specific` matches when they are equal, when
 * `general` is only stars, or when `general` is a literal followed by stars that `specific` starts with.
 */
function patternCovers(general: string, specific: string): boolean {
  if (general === specific || stars(general)) return true;
  const firstWildcard = indexOfAny(general, PATTERN_WILDCARDS, 0);
  return (
    general.charAt(firstWildcard) === "*" && stars(general.slice(firstWildcard)) && specific.startsWith(general.slice(0, firstWildcard))
  );
}

/** `other` matches whenever `ruleset` does and grants at least the same access. */
function covers(other: RulesetRule, ruleset: RulesetRule): boolean {
  const conditions = ruleset.conditions ?? [];
  return (
    patternCovers(other.subject, ruleset.subject) &&
    (other.conditions ?? []).every((oc) => conditions.some((c) => c.claim === oc.claim && patternCovers(oc.pattern, c.pattern))) &&
    ruleset.resources.every((r) => other.resources.includes(r)) &&
    ruleset.scopes.every((s) => other.scopes.includes(s))
  );
}

function shadowed(ruleset: RulesetRule, others: readonly RulesetRule[]): Warning | null {
  // Audit rulesets grant nothing: they neither shadow nor are shadowed (they report what they would match).
  if (ruleset.mode === "audit") return null;
  const other = others.find((o) => o.mode !== "audit" && covers(o, ruleset));
  if (!other) return null;
  const message = covers(ruleset, other)
    ? `Ruleset "${other.label}" matches the same jobs and grants the same access: keep only one of the two.`
    : `Ruleset "${other.label}" already matches every job this one matches and grants at least the same repositories and scopes: ` +
      `remove this ruleset or narrow "${other.label}".`;
  return { code: "shadowed", message };
}

/** A ruleset's expiry lint is raised this long before it expires (SPEC §11). */
export const EXPIRY_WARNING_MS = 7 * 24 * 3600 * 1000;

/** "in 3 days", "in 5 hours", "in 12 minutes": how far away `at` is from `now` (both ms), for messages and the console. */
export function timeUntil(at: number, now: number): string {
  const minutes = Math.max(0, Math.round((at - now) / 60_000));
  const plural = (n: number, unit: string) => `in ${n} ${unit}${n === 1 ? "" : "s"}`;
  if (minutes < 60) return plural(minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (hours < 48) return plural(hours, "hour");
  return plural(Math.round(hours / 24), "day");
}

function expiry(ruleset: RulesetRule, now: number | undefined): Warning | null {
  if (now === undefined || ruleset.expiresAt == null) return null;
  if (isExpired(ruleset, now))
    return {
      code: "expired",
      message: `This ruleset expired at ${ruleset.expiresAt} and matches nothing: remove it, or set a later expiry to use it again.`,
    };
  const at = Date.parse(ruleset.expiresAt);
  if (at - now > EXPIRY_WARNING_MS) return null;
  return {
    code: "expires_soon",
    message: `This ruleset expires ${timeUntil(at, now)} (${ruleset.expiresAt}), then matches nothing: set a later expiry or remove it if that is intended.`,
  };
}

/** The subject pattern carries a literal owner ID (`repo:octo-org@123/…`), so a renamed or recycled owner name cannot match. */
export function subjectPinsOwnerId(subject: string): boolean {
  const shape = readSubjectPattern(subject);
  return shape.owner !== null && shape.ownerId !== null;
}

/** The ruleset can match a pull-request job's subject (`…:pull_request`), its conditions considered. */
export function matchesPullRequestJobs(ruleset: RulesetRule): boolean {
  const shape = readSubjectPattern(ruleset.subject);
  if (findSubject(ruleset.subject, SUBJECTS) === null) return false;
  return matchesPullRequests(ruleset, shape) !== null;
}

/**
 * Warnings for one ruleset (SPEC §4.4), in a fixed order. `others` are the connection's other
 * rulesets, used to tell when this one can never add access. A subject that cannot match any GitHub
 * subject gets that warning alone.
 */
export function lintRuleset(ruleset: RulesetRule, others: readonly RulesetRule[] = [], known: KnownOwner = {}, now?: number): Warning[] {
  const shape = readSubjectPattern(ruleset.subject);
  const never = neverMatches(ruleset, shape);
  if (never) return [never, expiry(ruleset, now)].filter((w): w is Warning => w !== null);
  return [
    expiry(ruleset, now),
    ownerWildcard(ruleset, shape),
    matchesPullRequests(ruleset, shape),
    anyRef(ruleset, shape),
    nameOnlySubject(ruleset, shape, known),
    pushWithoutPull(ruleset),
    shadowed(ruleset, others),
  ].filter((w): w is Warning => w !== null);
}

/**
 * Warnings for each ruleset of a connection, in ruleset order; `known` puts the org's owner ID into
 * advice; `now` (ms since the epoch), when given, adds the expiry warnings (SPEC §11).
 */
export function lintRulesets(rulesets: readonly RulesetRule[], known: KnownOwner = {}, now?: number): Warning[][] {
  return rulesets.map((ruleset, i) => {
    const others = rulesets.filter((_, j) => j !== i);
    return lintRuleset(ruleset, others, known, now);
  });
}
