import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { RulesetRule } from "../src/evaluate";
import { lintRuleset, lintRulesets, WARNING_CODES } from "../src/lints";
import { matchPattern } from "../src/matcher";
import { derivePattern, editsArb, githubSubjectArb } from "./reference";

function ruleset(subject: string, over: Partial<RulesetRule> = {}): RulesetRule {
  return { label: "main", subject, conditions: [], resources: ["octo-org/api"], scopes: ["pull"], ...over };
}

const codes = (subject: string, over: Partial<RulesetRule> = {}) => lintRuleset(ruleset(subject, over)).map((w) => w.code);
const warning = (code: string, subject: string, over: Partial<RulesetRule> = {}) =>
  lintRuleset(ruleset(subject, over)).find((w) => w.code === code);

describe("lintRuleset: precise subjects get no warnings", () => {
  test.each([
    "repo:octo-org@1/api@2:ref:refs/heads/main",
    "repo:octocat@123456/my-repo@456789:ref:refs/heads/main",
    "repo:octo-org@1/api@2:environment:production",
    "repo:octo-org@1/api@2:ref:refs/tags/v*",
    "repo:octo-org@1/*:ref:refs/heads/main",
  ])("%s", (subject) => {
    expect(lintRuleset(ruleset(subject))).toEqual([]);
  });
});

describe("owner_wildcard", () => {
  test.each([
    "repo:*",
    "repo:*/api:ref:refs/heads/main",
    "repo:?cto-org/api:ref:refs/heads/main",
    "repo:octo*/api:ref:refs/heads/main",
    "repo:octo-?rg/api:ref:refs/heads/main",
    "repo:*:ref:refs/heads/release-*",
    "repo:*@123/api@4:ref:refs/heads/main",
  ])("warns for %s", (subject) => {
    expect(codes(subject)).toContain("owner_wildcard");
  });

  test.each([
    "repo:octo-org/*",
    "repo:octo-org/*:ref:refs/heads/main",
    "repo:octo-org@1/a*:ref:refs/heads/main",
    "repo:octo-org@*/api@*:*",
  ])("does not warn for %s", (subject) => {
    expect(codes(subject)).not.toContain("owner_wildcard");
  });

  test("the message names the organisation and keeps the rest of the subject", () => {
    expect(warning("owner_wildcard", "repo:*:ref:refs/heads/release-*")?.message).toBe(
      "Any GitHub account could match repo:*:ref:refs/heads/release-*: replace the owner wildcard with your organisation, " +
        "e.g. repo:octo-org/*:ref:refs/heads/release-*.",
    );
    expect(warning("owner_wildcard", "repo:*/web:ref:refs/heads/main", { resources: ["acme/web"] })?.message).toContain(
      "e.g. repo:acme/web:ref:refs/heads/main.",
    );
  });
});

describe("matches_pull_requests", () => {
  test.each([
    "repo:octo-org/api:*",
    "repo:octo-org/*",
    "repo:octo-org/api*",
    "repo:octo-org/api:pull_*",
    "repo:octo-org/api:pull_request",
    "repo:octo-org@1/api@2:*",
    "repo:octo-org/*:pull_request",
    "repo:*",
  ])("warns for %s", (subject) => {
    expect(codes(subject)).toContain("matches_pull_requests");
  });

  test.each([
    "repo:octo-org/api:ref:refs/heads/main",
    "repo:octo-org/api:ref:refs/heads/*",
    "repo:octo-org/*:ref:refs/heads/main",
    "repo:*:ref:refs/heads/release-*",
    "repo:octo-org/api:environment:*",
    "repo:octo-org/api:ref:*",
    "repo:octo-org/api:*:*",
  ])("does not warn for %s", (subject) => {
    expect(codes(subject)).not.toContain("matches_pull_requests");
  });

  test("an event_name condition that excludes pull requests, or an environment condition, silences it", () => {
    expect(codes("repo:octo-org/api:*", { conditions: [{ claim: "event_name", pattern: "push" }] })).not.toContain("matches_pull_requests");
    expect(codes("repo:octo-org/api:*", { conditions: [{ claim: "environment", pattern: "production" }] })).not.toContain(
      "matches_pull_requests",
    );
    expect(codes("repo:octo-org/api:*", { conditions: [{ claim: "event_name", pattern: "pull_*" }] })).toContain("matches_pull_requests");
    expect(codes("repo:octo-org/api:*", { conditions: [{ claim: "ref", pattern: "refs/heads/main" }] })).toContain("matches_pull_requests");
  });

  test("the message shows the pull-request subject and what to write instead", () => {
    expect(warning("matches_pull_requests", "repo:octo-org/api:*")?.message).toBe(
      "Pull-request jobs (repo:octo-org/api:pull_request) match too, so a workflow run for an unreviewed pull request gets these scopes: " +
        "name the branch or environment instead, e.g. repo:octo-org/api:ref:refs/heads/main or repo:octo-org/api:environment:production.",
    );
  });
});

describe("any_ref", () => {
  test.each(["repo:octo-org/api*", "repo:octo-org/api:*", "repo:octo-org/*", "repo:octo-org@1/api@2:*", "repo:*", "repo:*/api:*"])(
    "warns for %s",
    (subject) => {
      expect(codes(subject)).toContain("any_ref");
    },
  );

  test.each([
    "repo:octo-org/api:ref:*",
    "repo:octo-org/api:ref:refs/heads/*",
    "repo:octo-org/api:environment:*",
    "repo:octo-org/*:ref:refs/heads/main",
    "repo:octo-org/api:*:*",
    "repo:octo-org/api:pull_request",
  ])("does not warn for %s", (subject) => {
    expect(codes(subject)).not.toContain("any_ref");
  });

  test("a ref, environment or event condition narrows it; other conditions do not", () => {
    for (const condition of [
      { claim: "ref", pattern: "refs/heads/main" },
      { claim: "environment", pattern: "*" },
      { claim: "event_name", pattern: "push" },
      { claim: "job_workflow_ref", pattern: "octo-org/wf/.github/workflows/deploy.yml@refs/heads/main" },
    ]) {
      expect(codes("repo:octo-org/api:*", { conditions: [condition] })).not.toContain("any_ref");
    }
    expect(codes("repo:octo-org/api:*", { conditions: [{ claim: "repository_visibility", pattern: "private" }] })).toContain("any_ref");
    expect(codes("repo:octo-org/api:*", { conditions: [{ claim: "ref", pattern: "*" }] })).toContain("any_ref");
  });

  test("messages say how wide the subject is", () => {
    expect(warning("any_ref", "repo:octo-org/api:*")?.message).toBe(
      "Every branch, tag, environment and event of repo:octo-org/api can get these scopes: " +
        "name one, e.g. repo:octo-org/api:ref:refs/heads/main, or add a ref or environment condition.",
    );
    expect(warning("any_ref", "repo:octo-org/api*")?.message).toContain("and of every repository whose name starts with api");
    expect(warning("any_ref", "repo:octo-org/*", { resources: ["octo-org/web"] })?.message).toContain(
      "of every repository of octo-org can get these scopes: name one, e.g. repo:octo-org/web:ref:refs/heads/main",
    );
  });
});

describe("name_only_subject", () => {
  test.each([
    "repo:octo-org/api:ref:refs/heads/main",
    "repo:octo-org/*",
    "repo:octocat/my-repo:environment:prod",
    "repo:octo-org@*/api@*:*",
  ])("warns for %s", (subject) => {
    expect(codes(subject)).toContain("name_only_subject");
  });

  test.each([
    "repo:octocat@123456/my-repo@456789:ref:refs/heads/main",
    "repo:octocat@123456/*",
    "repo:octocat@123456/my-repo@456789:*",
    "repo:*",
    "repo:*/api:ref:refs/heads/main",
  ])("does not warn for %s", (subject) => {
    expect(codes(subject)).not.toContain("name_only_subject");
  });

  test("a repository_owner_id condition silences it", () => {
    expect(codes("repo:octo-org/*", { conditions: [{ claim: "repository_owner_id", pattern: "123456" }] })).not.toContain(
      "name_only_subject",
    );
    expect(codes("repo:octo-org/*", { conditions: [{ claim: "repository_owner_id", pattern: "*" }] })).toContain("name_only_subject");
  });

  test("the message suggests the @id form of this very subject", () => {
    expect(warning("name_only_subject", "repo:octo-org/api:ref:refs/heads/main")?.message).toBe(
      "Repositories that send immutable subjects (repo:octo-org@<owner-id>/…) will not match, and an account that takes over the name " +
        "octo-org would: write repo:octo-org@<owner-id>/api@<repository-id>:ref:refs/heads/main with the ID of octo-org, " +
        "or add a repository_owner_id condition.",
    );
    expect(warning("name_only_subject", "repo:octo-org/*")?.message).toContain("write repo:octo-org@<owner-id>/* with the ID of octo-org");
    expect(warning("name_only_subject", "repo:octo-org@*/api@*:*")?.message).toMatch(/^The owner ID is a wildcard/);
  });
});

describe("push_without_pull", () => {
  const precise = "repo:octo-org@1/api@2:ref:refs/heads/main";

  test("push without pull gets a warning that says to grant pull as well", () => {
    expect(codes(precise, { scopes: ["push"] })).toEqual(["push_without_pull"]);
    expect(warning("push_without_pull", precise, { scopes: ["push"] })?.message).toBe(
      "A registry needs pull as well as push to upload an image, so push alone cannot push: grant pull and push.",
    );
    expect(warning("push_without_pull", precise, { scopes: ["push", "delete"] })?.message).toMatch(/grant pull, push and delete\.$/);
  });

  test.each([[["pull"]], [["pull", "push"]], [["pull", "push", "delete"]], [["delete"]]] as const)("none for %j", (scopes) => {
    expect(codes(precise, { scopes: [...scopes] })).not.toContain("push_without_pull");
  });

  test("comes in the fixed order, with the subject's warnings", () => {
    expect(codes("repo:octo-org/*", { scopes: ["push"] })).toEqual([
      "matches_pull_requests",
      "any_ref",
      "name_only_subject",
      "push_without_pull",
    ]);
  });
});

describe("never_matches", () => {
  test.each([
    ["repo:octo-org", "repo:<owner>/<repository>:<context>"],
    ["repo:octo-org:ref:refs/heads/main", "repo:<owner>/<repository>:<context>"],
    ["repo:/api:ref:refs/heads/main", "repo:<owner>/<repository>:<context>"],
    ["repo:octo-org//api:*", "repo:<owner>/<repository>:<context>"],
    ["repo:octo-org/api/x:*", "repo:<owner>/<repository>:<context>"],
    ["repo:octo-org/api", "e.g. repo:octo-org/api:ref:refs/heads/main (or repo:octo-org/api:* for all of them)"],
    ["repo:octo-org/api:", "e.g. repo:octo-org/api:ref:refs/heads/main"],
    ["repo:octo-org/api:refs/heads/main", "e.g. repo:octo-org/api:ref:refs/heads/main"],
    ["repo:octo-org/api:ref:main", "e.g. repo:octo-org/api:ref:refs/heads/main"],
    ["repo:octo-org/api:main", "e.g. repo:octo-org/api:ref:refs/heads/main"],
    ["repo:octo-org@1/api:ref:refs/heads/main", "write repo:octo-org@<owner-id>/api@<repository-id>:… or repo:octo-org/api:…"],
    ["repo:octo-org/api@2:ref:refs/heads/main", "both without IDs or both with IDs"],
    ["repo:octo-org@x/api@2:ref:refs/heads/main", "repo:<owner>/<repository>:<context>"],
    ["", "repo:<owner>/<repository>:<context>"],
  ])("%s", (subject, hint) => {
    const warnings = lintRuleset(ruleset(subject));
    expect(warnings.map((w) => w.code)).toEqual(["never_matches"]);
    expect(warnings[0]?.message).toContain(hint);
  });

  test.each([
    "repo:octo-org/api*",
    "repo:octo-org*",
    "repo:octo-org/api:environment:prod",
    "repo:octo-org/api:pull_request",
    "repo:octo-org/api:ref:refs/tags/v1",
    "repo:octo-org/api:job_workflow_ref:octo-org/wf/.github/workflows/deploy.yml@refs/heads/main",
    "repo:octo-org/api:workflow:CI",
    "repo:octo-org/api:repo_property_Team-1:payments",
    "repo:octo-org/api:environment:prod:job_workflow_ref:*",
    "repo:octo-org/*/x",
    "repo:octo-org@1*",
    "repo:?/?:?*",
    "*",
  ])("does not warn for %s", (subject) => {
    expect(codes(subject)).not.toContain("never_matches");
  });
});

describe("shadowed", () => {
  const branch = ruleset("repo:octo-org@1/api@2:ref:refs/heads/main", { label: "main" });
  const wide = ruleset("repo:octo-org@1/*", {
    label: "org",
    resources: ["octo-org/api", "octo-org/web"],
    scopes: ["pull", "push"],
    conditions: [{ claim: "environment", pattern: "prod*" }],
  });

  test("a ruleset whose matches and grants are covered by another one", () => {
    const narrow = { ...branch, conditions: [{ claim: "environment", pattern: "production" }] };
    expect(lintRuleset(narrow, [wide]).map((w) => w.code)).toEqual(["shadowed"]);
    expect(lintRuleset(narrow, [wide])[0]?.message).toBe(
      'Ruleset "org" already matches every job this one matches and grants at least the same repositories and scopes: ' +
        'remove this ruleset or narrow "org".',
    );
    expect(lintRuleset(wide, [narrow]).map((w) => w.code)).not.toContain("shadowed");
  });

  test("not when the other ruleset has a condition this one lacks", () => {
    expect(lintRuleset(branch, [wide]).map((w) => w.code)).not.toContain("shadowed");
  });

  test("not when the other ruleset grants fewer scopes or repositories", () => {
    const covering = ruleset("repo:octo-org@1/*", { label: "org", scopes: ["pull"] });
    expect(lintRuleset({ ...branch, scopes: ["pull", "push"] }, [covering]).map((w) => w.code)).toEqual([]);
    expect(lintRuleset({ ...branch, resources: ["octo-org/web"] }, [covering]).map((w) => w.code)).toEqual([]);
    expect(lintRuleset(branch, [covering]).map((w) => w.code)).toEqual(["shadowed"]);
  });

  test("not when the subjects merely overlap", () => {
    const tags = ruleset("repo:octo-org@1/api@2:ref:refs/*", { label: "refs", scopes: ["pull", "push", "delete"] });
    const other = ruleset("repo:octo-org@1/*:ref:refs/heads/main", { label: "other", scopes: ["pull", "push", "delete"] });
    expect(lintRuleset(tags, [other])).toEqual([]);
    expect(lintRuleset(other, [tags])).toEqual([]);
  });

  test("identical rulesets both say to keep one", () => {
    const twin = { ...branch, label: "twin" };
    expect(lintRulesets([branch, twin])).toEqual([
      [{ code: "shadowed", message: 'Ruleset "twin" matches the same jobs and grants the same access: keep only one of the two.' }],
      [{ code: "shadowed", message: 'Ruleset "main" matches the same jobs and grants the same access: keep only one of the two.' }],
    ]);
  });
});

describe("lintRulesets", () => {
  test("one list per ruleset, in order, each linted against the others", () => {
    const rulesets = [
      ruleset("repo:octo-org@1/api@2:ref:refs/heads/main", { label: "a" }),
      ruleset("repo:*", { label: "b" }),
      ruleset("repo:octo-org", { label: "c" }),
    ];
    const result = lintRulesets(rulesets);
    expect(result.map((ws) => ws.map((w) => w.code))).toEqual([
      ["shadowed"],
      ["owner_wildcard", "matches_pull_requests", "any_ref"],
      ["never_matches"],
    ]);
  });

  test("no rulesets, no lists", () => {
    expect(lintRulesets([])).toEqual([]);
  });
});

describe("lint properties", () => {
  test("never throws, uses known codes in a fixed order, one line each", () => {
    const subject = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: fc.constantFrom("repo:", "o", "/", ":", "@", "1", "*", "?", "ref:refs/", "pull_request"), maxLength: 12 }),
    );
    fc.assert(
      fc.property(subject, (s) => {
        const found = lintRuleset(ruleset(s)).map((w) => {
          expect(w.message).not.toMatch(/[\r\n]/);
          return WARNING_CODES.indexOf(w.code as (typeof WARNING_CODES)[number]);
        });
        expect(found.every((i) => i >= 0)).toBe(true);
        expect(found).toEqual([...found].sort((a, b) => a - b));
        expect(new Set(found).size).toBe(found.length);
      }),
      { numRuns: 1000 },
    );
  });

  test("a pattern that matches some GitHub subject never gets never_matches", () => {
    fc.assert(
      fc.property(githubSubjectArb, editsArb, (subject, edits) => {
        const pattern = derivePattern(subject, edits);
        expect(matchPattern(pattern, subject)).toBe(true);
        expect(codes(pattern)).not.toContain("never_matches");
      }),
      { numRuns: 2000 },
    );
  });

  test("a pattern that matches a pull-request subject gets matches_pull_requests", () => {
    // Cut after the repository (the first `:` behind the first `/`) and append the pull-request context.
    const prSubject = githubSubjectArb.map((s) => `${s.slice(0, s.indexOf(":", s.indexOf("/")))}:pull_request`);
    fc.assert(
      fc.property(prSubject, editsArb, (subject, edits) => {
        const pattern = derivePattern(subject, edits);
        expect(codes(pattern)).toContain("matches_pull_requests");
      }),
      { numRuns: 1000 },
    );
  });

  test("never_matches means no GitHub subject in a sample matches", () => {
    const corpus = fc.sample(githubSubjectArb, { numRuns: 200, seed: 42 });
    const pattern = fc
      .string({ unit: fc.constantFrom("o", "-", "/", ":", "@", "1", "*", "?", "ref", "refs/", "pull_request", "api"), maxLength: 8 })
      .map((s) => `repo:${s}`);
    fc.assert(
      fc.property(pattern, (p) => {
        if (codes(p).includes("never_matches")) expect(corpus.filter((s) => matchPattern(p, s))).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  test("long adversarial subjects are linted (no timing assertions)", () => {
    expect(lintRuleset(ruleset(`repo:${"*?".repeat(125)}`)).map((w) => w.code)).toContain("owner_wildcard");
    expect(lintRuleset(ruleset(`repo:o/r:${"*a".repeat(120)}b`)).map((w) => w.code)).toEqual(["name_only_subject"]);
  });
});
