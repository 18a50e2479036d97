import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ConnectionDraft, RulesetDraft } from "./draft";
import { describeChanges, rebaseDraft } from "./rebase";

const rs = (id: string, over: Partial<RulesetDraft> = {}): RulesetDraft => ({
  key: id,
  id,
  label: id,
  subject: `repo:octo-org/${id}:ref:refs/heads/main`,
  conditions: [],
  resources: [`octo-org/${id}`],
  scopes: ["pull"],
  ...over,
});
const base: ConnectionDraft = {
  name: "Deploy",
  description: "",
  type: "github-actions",
  maxTokenTtlSeconds: 3600,
  rulesets: [rs("api"), rs("web")],
};
const strip = (d: ConnectionDraft) => ({ ...d, rulesets: d.rulesets.map(({ key: _k, ...r }) => r) });

describe("a concurrent edit (issue #10, item 8)", () => {
  it("says what the other person changed", () => {
    const theirs = { ...base, description: "now with docs", rulesets: [rs("api", { scopes: ["pull", "push"] }), rs("docs")] };
    expect(describeChanges(base, theirs)).toEqual([
      "Description: “” → “now with docs”",
      "Ruleset “api”: scopes changed",
      "Ruleset “docs” added",
      "Ruleset “web” removed",
    ]);
    expect(describeChanges(base, base)).toEqual([]);
  });

  it("re-applies my changes on top of theirs, field by field, and names the fields we both changed", () => {
    const mine = {
      ...base,
      name: "Deploy (prod)",
      rulesets: [
        rs("api", { subject: "repo:octo-org/api:environment:production" }),
        rs("web", { scopes: ["pull", "push"] }),
        rs("new", { id: undefined, key: "k1" }),
      ],
    };
    const theirs = {
      ...base,
      description: "theirs",
      rulesets: [rs("api", { scopes: ["pull", "push"] }), rs("web", { scopes: ["pull", "delete"] })],
    };
    const { draft, overlaps } = rebaseDraft(base, mine, theirs);
    expect(draft.name).toBe("Deploy (prod)");
    expect(draft.description).toBe("theirs");
    expect(JSON.stringify(draft.rulesets.map((r) => [r.label, r.subject.split(":").pop(), r.scopes.join(",")]))).toEqual(
      JSON.stringify([
        ["api", "production", "pull,push"],
        ["web", "refs/heads/main", "pull,push"],
        ["new", "refs/heads/main", "pull"],
      ]),
    );
    expect(overlaps).toEqual(["Ruleset “web”: scopes"]);
  });

  it("their removal of a ruleset I did not touch stands; one I changed comes back as new", () => {
    const theirs = { ...base, rulesets: [rs("api")] };
    expect(rebaseDraft(base, { ...base, name: "x" }, theirs).draft.rulesets.map((r) => r.id)).toEqual(["api"]);
    const mine = { ...base, rulesets: [rs("api"), rs("web", { label: "web!" })] };
    const { draft, overlaps } = rebaseDraft(base, mine, theirs);
    expect(draft.rulesets.map((r) => [r.label, r.id])).toEqual([
      ["api", "api"],
      ["web!", undefined],
    ]);
    expect(overlaps).toHaveLength(1);
  });

  const arbitraryDraft = fc.record({
    name: fc.constantFrom("a", "b", "c"),
    description: fc.constantFrom("", "d"),
    maxTokenTtlSeconds: fc.constantFrom(600, 3600),
    rulesets: fc
      .subarray(["api", "web", "docs"], { minLength: 1 })
      .chain((ids) =>
        fc.tuple(
          ...ids.map((id) => fc.constantFrom<RulesetDraft["scopes"]>(["pull"], ["pull", "push"]).map((scopes) => rs(id, { scopes }))),
        ),
      ),
  });
  const full = (d: Omit<ConnectionDraft, "type">): ConnectionDraft => ({ ...d, type: "github-actions" });

  it("property: without my changes the result is theirs; without theirs it is mine; nothing overlaps then", () => {
    fc.assert(
      fc.property(arbitraryDraft, arbitraryDraft, (b0, x0) => {
        const b = full(b0);
        const x = full(x0);
        const noMine = rebaseDraft(b, b, x);
        expect(strip(noMine.draft)).toEqual(strip(x));
        expect(noMine.overlaps).toEqual([]);
        // My own new rulesets have no id yet.
        const ids = new Set(b.rulesets.map((r) => r.id));
        const mine = { ...x, rulesets: x.rulesets.map((r) => (ids.has(r.id) ? r : { ...r, id: undefined })) };
        const noTheirs = rebaseDraft(b, mine, b);
        expect(strip(noTheirs.draft)).toEqual(strip(mine));
        expect(noTheirs.overlaps).toEqual([]);
      }),
    );
  });
});
