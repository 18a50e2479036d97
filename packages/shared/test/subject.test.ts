import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decideExchange } from "../src/decide";
import { evaluateRulesets, type RulesetRule } from "../src/evaluate";
import { claimsFromSubject, parseSubject, readSubjectPattern } from "../src/subject";
import { githubServerUrl, workflowRunUrl } from "../src/workflow-run";

const rule = (label: string, subject: string, conditions: RulesetRule["conditions"] = []): RulesetRule => ({
  label,
  subject,
  conditions,
  resources: ["octo-org/web"],
  scopes: ["pull", "push"],
});

describe("claimsFromSubject", () => {
  test("an environment subject carries its environment: a ruleset conditioned on it matches (issue #10, item 1)", () => {
    const sub = "repo:octo-org/web:environment:production";
    const claims = claimsFromSubject(sub);
    expect(claims).toMatchObject({
      sub,
      repository: "octo-org/web",
      repository_owner: "octo-org",
      environment: "production",
      ref: "refs/heads/main",
      event_name: "push",
    });
    const rulesets = [rule("production", "repo:octo-org/web:*", [{ claim: "environment", pattern: "production" }])];
    expect(evaluateRulesets(rulesets, { sub }).allowed).toBe(false); // the sub alone: what the Test tab did before
    expect(evaluateRulesets(rulesets, claims)).toEqual({
      allowed: true,
      matched: ["production"],
      access: [{ resource: "octo-org/web", scopes: ["pull", "push"] }],
    });
  });

  test("branches, tags, pull requests and immutable IDs", () => {
    expect(claimsFromSubject("repo:octo-org@1234567/web@99:ref:refs/tags/v1.2.0")).toEqual({
      sub: "repo:octo-org@1234567/web@99:ref:refs/tags/v1.2.0",
      repository: "octo-org/web",
      repository_owner: "octo-org",
      repository_owner_id: "1234567",
      repository_id: "99",
      ref: "refs/tags/v1.2.0",
      ref_type: "tag",
      event_name: "push",
      workflow_ref: "octo-org/web/.github/workflows/release.yml@refs/tags/v1.2.0",
      job_workflow_ref: "octo-org/web/.github/workflows/release.yml@refs/tags/v1.2.0",
    });
    expect(claimsFromSubject("repo:a/b:ref:refs/heads/dev")).toMatchObject({ ref: "refs/heads/dev", ref_type: "branch" });
    expect(claimsFromSubject("repo:a/b:pull_request")).toMatchObject({ event_name: "pull_request", ref: "refs/pull/1/merge" });
  });

  test("known IDs fill in a name-only subject; the subject's own IDs win", () => {
    expect(claimsFromSubject("repo:a/b:ref:refs/heads/main", { ownerId: "7", repoId: "8" })).toMatchObject({
      repository_owner_id: "7",
      repository_id: "8",
    });
    expect(claimsFromSubject("repo:a@1/b@2:ref:refs/heads/main", { ownerId: "7", repoId: "8" })).toMatchObject({
      repository_owner_id: "1",
      repository_id: "2",
    });
    expect(claimsFromSubject("repo:a/b:environment:x", { ref: "refs/heads/trunk" }).ref).toBe("refs/heads/trunk");
  });

  test("other shapes give the sub alone", () => {
    for (const sub of ["", "not-a-subject", "repo:a/b", "repo:a@1/b:ref:x", "repo:a/b/c:ref:x", "repo:/b:ref:x"])
      expect(claimsFromSubject(sub)).toEqual({ sub });
  });

  const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/);
  const id = fc.stringMatching(/^[1-9][0-9]{0,9}$/);
  const context = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9_./-]{1,30}$/).map((b) => `ref:refs/heads/${b}`),
    fc.stringMatching(/^[A-Za-z0-9_./-]{1,30}$/).map((t) => `ref:refs/tags/${t}`),
    fc.stringMatching(/^[A-Za-z0-9 _-]{1,30}$/).map((e) => `environment:${e}`),
    fc.constant("pull_request"),
  );

  test("property: the claims of any GitHub subject rebuild that subject and agree with it", () => {
    fc.assert(
      fc.property(name, name, fc.option(fc.tuple(id, id)), context, (owner, repo, ids, ctx) => {
        const sub = ids ? `repo:${owner}@${ids[0]}/${repo}@${ids[1]}:${ctx}` : `repo:${owner}/${repo}:${ctx}`;
        const c = claimsFromSubject(sub);
        const [owner2, repo2] = (c.repository ?? "").split("/");
        const rebuilt =
          c.event_name === "pull_request" ? "pull_request" : c.environment !== undefined ? `environment:${c.environment}` : `ref:${c.ref}`;
        const head = c.repository_id ? `repo:${owner2}@${c.repository_owner_id}/${repo2}@${c.repository_id}` : `repo:${owner2}/${repo2}`;
        expect(`${head}:${rebuilt}`).toBe(sub);
        expect(c.sub).toBe(sub);
        expect(c.repository_owner).toBe(owner);
        expect(c.job_workflow_ref?.startsWith(`${owner}/${repo}/`)).toBe(true);
        if (ctx.startsWith("ref:")) expect(c.ref).toBe(ctx.slice(4));
      }),
    );
  });

  test("property: total on any string, and parseSubject agrees on which subjects are GitHub-shaped", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const c = claimsFromSubject(s);
        expect(c.sub).toBe(s);
        expect(Object.values(c).every((v) => typeof v === "string")).toBe(true);
        expect(Object.keys(c).length > 1).toBe(parseSubject(s) !== null);
      }),
    );
  });
});

describe("decideExchange", () => {
  const rulesets = [rule("main", "repo:octo-org/web:ref:refs/heads/main"), rule("tags", "repo:octo-org/web:ref:refs/tags/*")];
  const main = claimsFromSubject("repo:octo-org/web:ref:refs/heads/main");

  test("an active connection: the rulesets decide", () => {
    expect(decideExchange({ status: "active", rulesets }, main)).toEqual({
      allowed: true,
      matched: ["main"],
      access: [{ resource: "octo-org/web", scopes: ["pull", "push"] }],
      reason: null,
      diagnosis: null,
    });
  });

  test("an inactive connection refuses, and still says which rulesets match", () => {
    expect(decideExchange({ status: "inactive", rulesets }, main)).toEqual({
      allowed: false,
      matched: ["main"],
      access: [],
      reason: "connection_inactive",
      diagnosis: null,
    });
  });

  test("no match: the closest miss comes with the refusal", () => {
    const d = decideExchange({ status: "active", rulesets }, claimsFromSubject("repo:octo-org/web:ref:refs/heads/dev"));
    expect(d.allowed).toBe(false);
    expect(d.reason).toBe("no_matching_ruleset");
    expect(d.diagnosis?.label).toBe("main");
  });

  test("property: allowed exactly when active and some ruleset matches; never grants when refused", () => {
    fc.assert(
      fc.property(fc.constantFrom("active" as const, "inactive" as const), fc.constantFrom("main", "dev", "v1"), (status, ref) => {
        const claims = claimsFromSubject(`repo:octo-org/web:ref:refs/${ref === "v1" ? "tags" : "heads"}/${ref}`);
        const d = decideExchange({ status, rulesets }, claims);
        const e = evaluateRulesets(rulesets, claims);
        expect(d.allowed).toBe(status === "active" && e.allowed);
        expect(d.matched).toEqual(e.matched);
        if (!d.allowed) expect(d.access).toEqual([]);
        expect(d.reason === null).toBe(d.allowed);
      }),
    );
  });
});

describe("workflow run links", () => {
  test("the server follows from the issuer", () => {
    expect(githubServerUrl("https://token.actions.githubusercontent.com")).toBe("https://github.com");
    expect(githubServerUrl("https://token.actions.octocorp.ghe.com")).toBe("https://octocorp.ghe.com");
    expect(githubServerUrl("https://github.example.com/_services/token")).toBe("https://github.example.com");
    for (const other of ["http://token.actions.githubusercontent.com", "https://example.com", "https://a:b@x/_services/token", "nope"])
      expect(githubServerUrl(other)).toBeNull();
  });

  test("a run URL needs a well-formed server, repository and run ID; later attempts get their own page", () => {
    const base = { serverUrl: "https://github.com", repository: "octo-org/web", runId: "1234" };
    expect(workflowRunUrl(base)).toBe("https://github.com/octo-org/web/actions/runs/1234");
    expect(workflowRunUrl({ ...base, runAttempt: "1" })).toBe("https://github.com/octo-org/web/actions/runs/1234");
    expect(workflowRunUrl({ ...base, runAttempt: "3" })).toBe("https://github.com/octo-org/web/actions/runs/1234/attempts/3");
    expect(workflowRunUrl({ ...base, serverUrl: undefined })).toBeNull();
    expect(workflowRunUrl({ ...base, repository: "../../evil" })).toBeNull();
    expect(workflowRunUrl({ ...base, repository: "a/b/c" })).toBeNull();
    expect(workflowRunUrl({ ...base, repository: "../.." })).toBeNull();
    expect(workflowRunUrl({ ...base, repository: "octo-org/.github" })).toBe("https://github.com/octo-org/.github/actions/runs/1234");
    expect(workflowRunUrl({ ...base, runId: "12?x=1" })).toBeNull();
    expect(workflowRunUrl({ ...base, serverUrl: "javascript:alert(1)" })).toBeNull();
  });

  test("property: any URL built stays on the server and under the repository's runs", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (repository, runId, runAttempt) => {
        const url = workflowRunUrl({ serverUrl: "https://github.com", repository, runId, runAttempt });
        if (url !== null) {
          expect(new URL(url).origin).toBe("https://github.com");
          expect(url.startsWith(`https://github.com/${repository}/actions/runs/${runId}`)).toBe(true);
        }
      }),
    );
  });
});

describe("readSubjectPattern: the literal head of a subject pattern", () => {
  test("owner, repository and their IDs as written, up to the first wildcard", () => {
    expect(readSubjectPattern("repo:octo-org@1234567/api@99:ref:refs/heads/main")).toEqual({
      owner: "octo-org",
      ownerEnd: 13,
      ownerId: "@1234567",
      repo: "api",
      repoEnd: 25,
      repoId: "@99",
    });
    expect(readSubjectPattern("repo:octo-org/api:*")).toMatchObject({ owner: "octo-org", ownerId: null, repo: "api", repoId: null });
    expect(readSubjectPattern("repo:octo-org/api@*:ref:refs/heads/main")).toMatchObject({ repo: "api", repoId: null });
  });

  test("a wildcard in the owner or the repository leaves that part (and what follows) unknown", () => {
    expect(readSubjectPattern("repo:*/api:*")).toMatchObject({ owner: null, repo: null });
    expect(readSubjectPattern("repo:octo-*/api:*")).toMatchObject({ owner: null, ownerEnd: 11 });
    expect(readSubjectPattern("repo:octo-org/*")).toMatchObject({ owner: "octo-org", repo: null });
    expect(readSubjectPattern("repo:octo-org/a*:*")).toMatchObject({ owner: "octo-org", repo: null });
  });

  test("other shapes: no repo: prefix, a repository without its context", () => {
    expect(readSubjectPattern("octo-org/api")).toMatchObject({ owner: null, repo: null });
    expect(readSubjectPattern("repo:octo-org/api")).toMatchObject({ owner: "octo-org", repo: null });
    expect(readSubjectPattern("repo:octo-org@x/api:*")).toMatchObject({ owner: "octo-org", ownerId: null, repo: null });
  });
});
