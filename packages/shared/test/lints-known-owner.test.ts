import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { RulesetRule } from "../src/evaluate";
import { immutableSubject, lintRuleset } from "../src/lints";
import { matchPattern } from "../src/matcher";

const rule = (subject: string, conditions: RulesetRule["conditions"] = []): RulesetRule => ({
  label: "r",
  subject,
  conditions,
  resources: ["octo-org/web"],
  scopes: ["pull"],
});
const known = { owner: "octo-org", ownerId: "1234567" };

describe("name-only advice with the org's known owner ID (issue #10, item 7)", () => {
  test("the message names the ID and the exact pattern to write", () => {
    const [w] = lintRuleset(rule("repo:octo-org/web:ref:refs/heads/main"), [], known).filter((x) => x.code === "name_only_subject");
    expect(w?.message).toContain("repo:octo-org@1234567/…");
    expect(w?.message).toContain("write repo:octo-org@1234567/web@*:ref:refs/heads/main");
    expect(w?.message).toContain("repository_owner_id = 1234567");
    expect(w?.message).not.toContain("<owner-id>");
  });

  test("another owner, or no known ID: the placeholder stays", () => {
    for (const k of [{}, { owner: "someone-else", ownerId: "9" }, { owner: "octo-org", ownerId: null }]) {
      const [w] = lintRuleset(rule("repo:octo-org/web:ref:refs/heads/main"), [], k).filter((x) => x.code === "name_only_subject");
      expect(w?.message).toContain("<owner-id>");
    }
  });

  test("immutableSubject rewrites name-only patterns, and leaves others alone", () => {
    expect(immutableSubject("repo:octo-org/web:ref:refs/heads/main", "1234567")).toBe("repo:octo-org@1234567/web@*:ref:refs/heads/main");
    expect(immutableSubject("repo:octo-org/*", "1")).toBe("repo:octo-org@1/*");
    expect(immutableSubject("repo:octo-org/api-*:environment:prod", "1")).toBe("repo:octo-org@1/api-*:environment:prod");
    for (const s of ["repo:octo-org@1/web@2:ref:x", "repo:*/web:ref:x", "repo:octo-org/a*b:ref:x", "repo:octo-org/we?:ref:x", "nope"])
      expect(immutableSubject(s, "1")).toBeNull();
    expect(immutableSubject("repo:octo-org/web:ref:x", "12a")).toBeNull();
  });

  const name = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
  const id = fc.stringMatching(/^[1-9][0-9]{0,8}$/);
  const ctx = fc.stringMatching(/^(ref:refs\/heads\/[a-z]{1,8}|environment:[a-z]{1,8}|pull_request)$/);
  // A pattern from pieces of a concrete subject, with wildcards put into the repository and context parts.
  const patternOf = fc.tuple(fc.constantFrom("exact", "repo-star", "all", "ctx-star"), fc.nat());

  test("property: the rewrite lets in the immutable subject of every job the name-only pattern let in, and no warning remains", () => {
    fc.assert(
      fc.property(name, name, id, id, ctx, patternOf, (owner, repo, ownerId, repoId, context, [kind, cut]) => {
        const pattern =
          kind === "exact"
            ? `repo:${owner}/${repo}:${context}`
            : kind === "repo-star"
              ? `repo:${owner}/${repo.slice(0, cut % (repo.length + 1))}*:${context}`
              : kind === "all"
                ? `repo:${owner}/*`
                : `repo:${owner}/${repo}:${context.slice(0, cut % (context.length + 1))}*`;
        expect(matchPattern(pattern, `repo:${owner}/${repo}:${context}`)).toBe(true);
        const rewritten = immutableSubject(pattern, ownerId);
        expect(rewritten).not.toBeNull();
        expect(matchPattern(rewritten ?? "", `repo:${owner}@${ownerId}/${repo}@${repoId}:${context}`)).toBe(true);
        // Another owner ID does not get in.
        expect(matchPattern(rewritten ?? "", `repo:${owner}@${ownerId}0/${repo}@${repoId}:${context}`)).toBe(false);
        expect(lintRuleset(rule(rewritten ?? ""), [], { owner, ownerId }).map((w) => w.code)).not.toContain("name_only_subject");
      }),
    );
  });
});
