import { evaluateRulesets, readSubjectPattern, type Scope } from "@oidc/shared";

export interface ExampleSubject {
  kind: string;
  sub: string;
  claims: Record<string, string>;
}

export interface ExampleOwner {
  owner: string;
  ownerId: string;
  repo: string;
  repoId: string;
}

const SAMPLE_OWNER_ID = "1234567";
const SAMPLE_REPO_ID = "987654321";

/** Owner and repository the examples use: the subject's own when literal, else the org's and the first resource's. */
export function exampleOwner(subject: string, fallbackOwner: string, fallbackOwnerId: string | null, firstResource?: string): ExampleOwner {
  const [, orgPart = "", repoPart = ""] = /^([^/]*)\/(.*)$/.exec(firstResource ?? "") ?? [];
  const head = readSubjectPattern(subject);
  // The owner counts when a repository follows it (`owner/` or `owner@id/`); the repository when its context does.
  const owner = head.owner && (head.ownerId !== null || subject.charAt(head.ownerEnd) === "/") ? head.owner : null;
  const repo = owner !== null && head.repo !== null && (head.repoId !== null || subject.charAt(head.repoEnd) === ":") ? head.repo : null;
  return {
    owner: owner ?? (fallbackOwner || orgPart || "octo-org"),
    ownerId: (owner !== null ? head.ownerId?.slice(1) : undefined) ?? fallbackOwnerId ?? SAMPLE_OWNER_ID,
    repo: repo ?? (repoPart || "api"),
    repoId: (repo !== null ? head.repoId?.slice(1) : undefined) ?? SAMPLE_REPO_ID,
  };
}

/** `<owner>/<repo>/.github/workflows/<file>@<ref>`: the `job_workflow_ref` of jobs running that reusable workflow. */
export function centralWorkflowRef(owner: string, repo: string, file: string, ref: string): string {
  return `${owner}/${repo}/.github/workflows/${file.replace(/^\.github\/workflows\//, "")}@${ref}`;
}

/** The preset's subjects: every repository of the owner, by name, and with the owner's ID when known. */
export function reusableWorkflowSubjects(o: { owner: string; ownerId: string | null }): { name: string; immutable: string | null } {
  return { name: `repo:${o.owner}/*`, immutable: o.ownerId ? `repo:${o.owner}@${o.ownerId}/*` : null };
}

/** A literal `job_workflow_ref` condition (a pinned central workflow), if the ruleset has one. */
export function pinnedWorkflow(conditions: { claim: string; pattern: string }[]): string | null {
  const c = conditions.find((x) => x.claim === "job_workflow_ref" && x.pattern && !/[*?]/.test(x.pattern));
  return c ? c.pattern : null;
}

/**
 * Callers of a central reusable workflow: jobs of other repositories (both subject formats) that
 * run it at the pinned ref, one that runs it at another ref, and one that runs its own workflow.
 */
export function callerExamples({ owner, ownerId, repoId }: ExampleOwner, workflowRef: string): ExampleSubject[] {
  const at = workflowRef.lastIndexOf("@");
  const otherRef = `${at >= 0 ? workflowRef.slice(0, at) : workflowRef}@refs/heads/feature`;
  const caller = (repo: string) => ({
    repository: `${owner}/${repo}`,
    repository_owner: owner,
    repository_owner_id: ownerId,
    repository_id: repoId,
    ref: "refs/heads/main",
    ref_type: "branch",
    event_name: "push",
  });
  return [
    {
      kind: "web calls the central workflow",
      sub: `repo:${owner}/web:ref:refs/heads/main`,
      claims: { ...caller("web"), job_workflow_ref: workflowRef },
    },
    {
      kind: "web calls it (immutable IDs)",
      sub: `repo:${owner}@${ownerId}/web@${repoId}:ref:refs/heads/main`,
      claims: { ...caller("web"), job_workflow_ref: workflowRef },
    },
    {
      kind: "web calls it at another ref",
      sub: `repo:${owner}/web:ref:refs/heads/main`,
      claims: { ...caller("web"), job_workflow_ref: otherRef },
    },
    {
      kind: "web runs its own workflow",
      sub: `repo:${owner}/web:ref:refs/heads/main`,
      claims: { ...caller("web"), job_workflow_ref: `${owner}/web/.github/workflows/build.yml@refs/heads/main` },
    },
  ];
}

/** GitHub subjects of the usual job kinds, each with the claims such a job carries. */
export function exampleSubjects({ owner, ownerId, repo, repoId }: ExampleOwner): ExampleSubject[] {
  const base = {
    repository: `${owner}/${repo}`,
    repository_owner: owner,
    repository_owner_id: ownerId,
    repository_id: repoId,
    workflow: "build",
    runner_environment: "github-hosted",
  };
  const head = `repo:${owner}/${repo}`;
  return [
    {
      kind: "Branch main",
      sub: `${head}:ref:refs/heads/main`,
      claims: { ...base, ref: "refs/heads/main", ref_type: "branch", event_name: "push", ref_protected: "true" },
    },
    {
      kind: "Tag v1.2.0",
      sub: `${head}:ref:refs/tags/v1.2.0`,
      claims: { ...base, ref: "refs/tags/v1.2.0", ref_type: "tag", event_name: "push" },
    },
    {
      kind: "Pull request",
      sub: `${head}:pull_request`,
      claims: { ...base, ref: "refs/pull/42/merge", event_name: "pull_request", head_ref: "feature", base_ref: "main" },
    },
    {
      kind: "Environment production",
      sub: `${head}:environment:production`,
      claims: { ...base, ref: "refs/heads/main", ref_type: "branch", event_name: "push", environment: "production" },
    },
    {
      kind: "Immutable IDs (main)",
      sub: `repo:${owner}@${ownerId}/${repo}@${repoId}:ref:refs/heads/main`,
      claims: { ...base, ref: "refs/heads/main", ref_type: "branch", event_name: "push" },
    },
  ];
}

export interface PreviewRow extends ExampleSubject {
  matches: boolean;
}

/** Which example jobs this one ruleset (subject and conditions) would let in, with the shared evaluator. */
export function previewRuleset(
  ruleset: { subject: string; conditions: { claim: string; pattern: string }[]; scopes: Scope[] },
  examples: ExampleSubject[],
): PreviewRow[] {
  const rule = {
    label: "preview",
    subject: ruleset.subject,
    conditions: ruleset.conditions,
    resources: ["preview"],
    scopes: ruleset.scopes,
  };
  return examples.map((e) => ({ ...e, matches: evaluateRulesets([rule], { ...e.claims, sub: e.sub }).allowed }));
}

/** Suggested subject patterns in both formats, for the org's owner and a repository. */
export function suggestedSubjects(o: ExampleOwner): { label: string; subject: string }[] {
  const named = `repo:${o.owner}/${o.repo}`;
  const immutable = `repo:${o.owner}@${o.ownerId}/${o.repo}@*`;
  return [
    { label: "main branch", subject: `${named}:ref:refs/heads/main` },
    { label: "main branch (immutable IDs)", subject: `${immutable}:ref:refs/heads/main` },
    { label: "release tags", subject: `${named}:ref:refs/tags/v*` },
    { label: "production environment", subject: `${named}:environment:production` },
  ];
}

/** What the console knows of the org's GitHub owner (from the membership). */
export interface OwnerInfo {
  githubOwner: string | null;
  githubOwnerId: string | null;
}

/** The org's owner ID when the subject names the org's owner (GitHub names are case-insensitive); else null. */
export function knownOwnerIdFor(subject: string, org: OwnerInfo): string | null {
  const head = readSubjectPattern(subject);
  const next = subject.charAt(head.ownerEnd);
  const named = head.owner && (next === "/" || next === "@") ? head.owner : undefined;
  if (named === undefined || !org.githubOwner || !org.githubOwnerId) return null;
  return named.toLowerCase() === org.githubOwner.toLowerCase() ? org.githubOwnerId : null;
}

/** The lints' view of the org's owner, so advice names its ID. */
export const knownOwner = (org: OwnerInfo) => ({ owner: org.githubOwner, ownerId: org.githubOwnerId });
