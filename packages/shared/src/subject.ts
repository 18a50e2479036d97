import { PATTERN_WILDCARDS } from "./matcher";
import { indexOfAny, isDigit } from "./util";

/**
 * The claims a GitHub Actions job with a given subject carries, as far as the subject tells them.
 * One derivation for the whole product: the console's dry run evaluates these claims, and the
 * development issuer (SPEC §6.6) mints tokens with them, so both see the same job.
 */

/** What is known besides the subject: the org's owner ID, the repository's ID, the default branch. */
export interface SubjectContext {
  /** `repository_owner_id` when the subject is name-only (every GitHub token carries the claim). */
  ownerId?: string | null | undefined;
  /** `repository_id` when the subject is name-only. */
  repoId?: string | null | undefined;
  /** The ref of jobs whose subject names none (environment jobs); default `refs/heads/main`. */
  ref?: string | undefined;
  /** The workflow file that runs the job; default `.github/workflows/release.yml`. */
  workflowPath?: string | undefined;
}

export interface SubjectParts {
  owner: string;
  ownerId: string | null;
  repo: string;
  repoId: string | null;
  /** Everything after `owner/repo:` (e.g. `ref:refs/heads/main`, `environment:production`, `pull_request`). */
  context: string;
}

const SUBJECT = /^repo:([^/@:]+)(?:@(\d+))?\/([^/@:]+)(?:@(\d+))?:(.+)$/s;

/** The parts of a GitHub subject (`repo:owner[@id]/repo[@id]:context`), or null for another shape. */
export function parseSubject(sub: string): SubjectParts | null {
  const m = SUBJECT.exec(sub);
  if (!m) return null;
  const [, owner = "", ownerId, repo = "", repoId, context = ""] = m;
  // GitHub sends both IDs or neither (SPEC §4.1).
  if (Boolean(ownerId) !== Boolean(repoId)) return null;
  return { owner, ownerId: ownerId ?? null, repo, repoId: repoId ?? null, context };
}

/**
 * The claims of a job whose token has this `sub`: repository, owner, IDs, ref, ref type, event,
 * environment and workflow refs, plus `sub` itself. A subject of another shape gives `{sub}` alone.
 * Pure and total: any string in, string claims out.
 */
export function claimsFromSubject(sub: string, known: SubjectContext = {}): Record<string, string> {
  const parts = parseSubject(sub);
  if (!parts) return { sub };
  const { owner, repo, context } = parts;
  const repository = `${owner}/${repo}`;
  const out: Record<string, string> = { sub, repository, repository_owner: owner };
  const ownerId = parts.ownerId ?? known.ownerId;
  const repoId = parts.repoId ?? known.repoId;
  if (ownerId) out.repository_owner_id = ownerId;
  if (repoId) out.repository_id = repoId;
  let ref = known.ref ?? "refs/heads/main";
  if (context.startsWith("ref:")) {
    ref = context.slice("ref:".length);
    out.ref_type = ref.startsWith("refs/tags/") ? "tag" : "branch";
    out.event_name = "push";
  } else if (context.startsWith("environment:")) {
    out.environment = context.slice("environment:".length);
    out.ref_type = "branch";
    out.event_name = "push";
  } else if (context === "pull_request") {
    ref = "refs/pull/1/merge";
    out.event_name = "pull_request";
    out.ref_type = "branch";
    out.ref_protected = "false";
  }
  out.ref = ref;
  const workflow = `${repository}/${known.workflowPath ?? ".github/workflows/release.yml"}@${ref}`;
  out.workflow_ref = workflow;
  out.job_workflow_ref = workflow;
  return out;
}

// ----- subject patterns -----

const PREFIX = "repo:";

/**
 * What a subject *pattern* states literally before its first wildcard: the owner, the repository
 * and their IDs. One reader for the lints (their advice quotes these parts) and the console's
 * examples (they show jobs of this owner and repository).
 */
export interface SubjectPatternHead {
  /** The literal owner name, or null when a wildcard sits in it (or before it), or the pattern does not start with `repo:`. */
  owner: string | null;
  /** Index where the owner segment (as written) ends: at `@`, `/`, `:` or the end. */
  ownerEnd: number;
  /** The owner's `@<digits>` exactly as written (with the `@`), followed by a literal `/`; else null. */
  ownerId: string | null;
  /** The literal repository name, when it is followed by `:` or `@`; else null. */
  repo: string | null;
  /** Index just after the repository name, when `repo` is set. */
  repoEnd: number;
  /** The repository's `@<digits>` exactly as written (with the `@`), followed by `:`; else null. */
  repoId: string | null;
}

function digitsEnd(s: string, from: number): number {
  let i = from;
  while (i < s.length && isDigit(s.charAt(i))) i++;
  return i;
}

/** Reads the literal head of a subject pattern (`repo:owner[@id]/repo[@id]:…`); pure and total. */
export function readSubjectPattern(pattern: string): SubjectPatternHead {
  const head: SubjectPatternHead = { owner: null, ownerEnd: PREFIX.length, ownerId: null, repo: null, repoEnd: 0, repoId: null };
  if (!pattern.startsWith(PREFIX)) return head;
  const ownerEnd = indexOfAny(pattern, `/@:${PATTERN_WILDCARDS}`, PREFIX.length);
  if (PATTERN_WILDCARDS.includes(pattern.charAt(ownerEnd))) {
    head.ownerEnd = indexOfAny(pattern, "/@:", ownerEnd);
    return head;
  }
  head.owner = pattern.slice(PREFIX.length, ownerEnd);
  head.ownerEnd = ownerEnd;
  let slash = ownerEnd;
  if (pattern.charAt(ownerEnd) === "@") {
    const idEnd = digitsEnd(pattern, ownerEnd + 1);
    if (idEnd > ownerEnd + 1 && pattern.charAt(idEnd) === "/") head.ownerId = pattern.slice(ownerEnd, idEnd);
    slash = idEnd;
  }
  if (pattern.charAt(slash) !== "/") return head;
  const repoEnd = indexOfAny(pattern, `/@:${PATTERN_WILDCARDS}`, slash + 1);
  const after = pattern.charAt(repoEnd);
  if (repoEnd > slash + 1 && (after === ":" || after === "@")) {
    head.repo = pattern.slice(slash + 1, repoEnd);
    head.repoEnd = repoEnd;
    if (after === "@") {
      const idEnd = digitsEnd(pattern, repoEnd + 1);
      if (idEnd > repoEnd + 1 && pattern.charAt(idEnd) === ":") head.repoId = pattern.slice(repoEnd, idEnd);
    }
  }
  return head;
}
