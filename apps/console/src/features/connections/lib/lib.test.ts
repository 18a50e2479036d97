import { ConnectionCreateSchema, ConnectionPatchSchema, issuesByPath } from "@oidc/shared";
import { describe, expect, it } from "vitest";
import { type ConnectionDraft, createBody, emptyDraft, emptyRuleset, patchBody } from "./draft";
import { exampleOwner, exampleSubjects, previewRuleset } from "./examples";
import { parseTestInput } from "./jwt";
import { workflowSnippet } from "./snippet";
import { groupWarnings } from "./warnings";

/** What the forms' resolvers check (draft.ts): the draft's body against the shared schema, errors keyed "rulesets.0.subject". */
function validateCreate(draft: ConnectionDraft) {
  const parsed = ConnectionCreateSchema.safeParse(createBody(draft));
  return parsed.success ? { ok: true as const, body: parsed.data } : { ok: false as const, errors: issuesByPath(parsed.error.issues) };
}

function validatePatch(draft: ConnectionDraft) {
  const parsed = ConnectionPatchSchema.safeParse(patchBody(draft));
  return parsed.success ? { ok: true as const, body: parsed.data } : { ok: false as const, errors: issuesByPath(parsed.error.issues) };
}

const valid = () => {
  const d = emptyDraft();
  d.name = "Publish";
  const r = d.rulesets[0];
  if (r) Object.assign(r, { subject: "repo:octo-org/api:ref:refs/heads/main", resources: ["octo-org/api"], scopes: ["pull"] });
  return d;
};

describe("draft validation (shared schemas)", () => {
  it("accepts a complete draft and returns the create body", () => {
    const result = validateCreate(valid());
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.body.rulesets[0]?.conditions).toEqual([]);
  });

  it("keys errors by their path, as the API's issues are", () => {
    const d = valid();
    d.name = " ";
    const r = d.rulesets[0];
    if (r) {
      r.subject = "octo-org/api";
      r.resources = [];
    }
    const result = validateCreate(d);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.name).toBe("Enter a name");
      expect(result.errors["rulesets.0.subject"]).toMatch(/Must start with repo:/);
      expect(result.errors["rulesets.0.resources"]).toBe("Choose at least one repository");
    }
  });

  it("names an invisible or control character at its field, as the API does (the shared text rule)", () => {
    const d = valid();
    d.name = "Pub\u200blish";
    d.description = "ok\u0000";
    const r = d.rulesets[0];
    if (r) r.label = "ma\u202ein";
    const result = validateCreate(d);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.name).toMatch(/^Remove U\+200B ZERO WIDTH SPACE at character 4/);
      expect(result.errors.description).toMatch(/^Remove U\+0000 NULL/);
      expect(result.errors["rulesets.0.label"]).toMatch(/^Remove U\+202E RIGHT-TO-LEFT OVERRIDE/);
    }
  });

  it("refuses a sixth ruleset", () => {
    const d = valid();
    const first = d.rulesets[0];
    if (!first) throw new Error("no ruleset");
    d.rulesets = [0, 1, 2, 3, 4, 5].map((i) => ({ ...first, key: `k${i}`, label: `r${i}` }));
    const result = validateCreate(d);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors["rulesets.5"]).toMatch(/at most 5 rulesets/);
  });

  it("keeps ruleset ids in a patch and leaves them out for new rulesets", () => {
    const d = valid();
    const first = d.rulesets[0];
    if (!first) throw new Error("no ruleset");
    first.id = "4a79e7ab-9b35-4552-8ddf-1f04fb6654d0";
    d.rulesets.push({ ...emptyRuleset(1), subject: "repo:octo-org/web:ref:refs/heads/main", resources: ["octo-org/web"] });
    const result = validatePatch(d);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.body.rulesets?.[0]?.id).toBe(first.id);
      expect(result.body.rulesets?.[1]).not.toHaveProperty("id");
    }
  });
});

describe("live preview examples", () => {
  it("takes owner, repository and IDs from the subject when they are literal", () => {
    expect(exampleOwner("repo:acme@42/site@7:ref:refs/heads/main", "octo-org", "1")).toEqual({
      owner: "acme",
      ownerId: "42",
      repo: "site",
      repoId: "7",
    });
    expect(exampleOwner("repo:*", "octo-org", "1234567", "octo-org/worker")).toMatchObject({
      owner: "octo-org",
      ownerId: "1234567",
      repo: "worker",
    });
  });

  it("marks branch, tag, pull request, environment and immutable subjects", () => {
    const examples = exampleSubjects(exampleOwner("", "octo-org", "1234567", "octo-org/api"));
    const rows = previewRuleset({ subject: "repo:octo-org/api:*", conditions: [], scopes: ["pull"] }, examples);
    expect(rows.map((r) => [r.kind, r.matches])).toEqual([
      ["Branch main", true],
      ["Tag v1.2.0", true],
      ["Pull request", true],
      ["Environment production", true],
      ["Immutable IDs (main)", false],
    ]);
    const immutable = previewRuleset(
      { subject: "repo:octo-org@1234567/api@*:ref:refs/heads/main", conditions: [], scopes: ["pull"] },
      examples,
    );
    expect(immutable.filter((r) => r.matches).map((r) => r.kind)).toEqual(["Immutable IDs (main)"]);
  });

  it("applies conditions to the example jobs' claims", () => {
    const examples = exampleSubjects(exampleOwner("", "octo-org", "1234567", "octo-org/api"));
    const rows = previewRuleset(
      { subject: "repo:octo-org/api:*", conditions: [{ claim: "ref_type", pattern: "tag" }], scopes: ["pull"] },
      examples,
    );
    expect(rows.filter((r) => r.matches).map((r) => r.kind)).toEqual(["Tag v1.2.0"]);
  });
});

describe("Test tab input", () => {
  it("recognises claims JSON, a subject and an ID token", () => {
    expect(parseTestInput('{"sub":"repo:a/b:pull_request"}')).toEqual({ kind: "claims", claims: { sub: "repo:a/b:pull_request" } });
    expect(parseTestInput(" repo:a/b:ref:refs/heads/main ")).toEqual({ kind: "subject", claims: { sub: "repo:a/b:ref:refs/heads/main" } });
    const payload = Buffer.from(JSON.stringify({ sub: "repo:a/b:environment:prod", é: "ü" })).toString("base64url");
    const parsed = parseTestInput(`eyJhbGciOiJSUzI1NiJ9.${payload}.sig`);
    expect(parsed).toMatchObject({ kind: "token", claims: { sub: "repo:a/b:environment:prod", é: "ü" } });
  });

  it("explains what is wrong", () => {
    expect(parseTestInput("")).toEqual({ kind: "empty" });
    expect(parseTestInput("{oops")).toMatchObject({ kind: "error", message: expect.stringMatching(/Not valid JSON/) });
    expect(parseTestInput("[1]")).toMatchObject({ kind: "error" });
    expect(parseTestInput("hello world")).toMatchObject({ kind: "error" });
  });

  it("refuses claims the server would refuse: nested too deep or too large (the shared bound)", () => {
    expect(parseTestInput(`{"x":${"[".repeat(50)}${"]".repeat(50)}}`)).toEqual({
      kind: "error",
      message: expect.stringMatching(/nested more than 10 levels/),
    });
    const payload = Buffer.from(JSON.stringify({ sub: "repo:a/b:x", pad: "y".repeat(17_000) })).toString("base64url");
    expect(parseTestInput(`eyJhbGciOiJSUzI1NiJ9.${payload}.sig`)).toEqual({ kind: "error", message: expect.stringMatching(/16 KiB/) });
  });
});

describe("workflow snippet", () => {
  it("has the permission, the connection ID and a docker login", () => {
    const s = workflowSnippet("0d7a4c1e-0000-4000-8000-000000000000", "https://registry.example");
    expect(s).toContain("id-token: write");
    expect(s).toContain("connection_id: 0d7a4c1e-0000-4000-8000-000000000000");
    expect(s).toContain("docker login registry.example");
  });

  it("logs in to the deployment's registry as the org", () => {
    const s = workflowSnippet("0d7a4c1e-0000-4000-8000-000000000000", "https://oidc.example", {
      registry: "registry.example.com:5000",
      username: "octo-org",
    });
    expect(s).toContain("docker login registry.example.com:5000 --username octo-org --password-stdin");
    expect(s).toContain("steps.oidc.outputs.token");
    expect(s).toContain("url: https://oidc.example");
    expect(s).toContain("docker push registry.example.com:5000/octo-org/<repository>:<tag>");
  });
});

describe("groupWarnings", () => {
  it("groups only advice that reads the same for every ruleset", () => {
    const w = (code: string) => ({ code, message: `${code} message` });
    const { groups, perRuleset } = groupWarnings(
      [[w("name_only_subject"), w("never_matches")], [w("name_only_subject"), w("never_matches")], [w("any_ref")]],
      ["a", "b", "c"],
      { githubOwner: "octo-org", githubOwnerId: "42" },
    );
    expect(groups.map((g) => [g.code, g.labels])).toEqual([["name_only_subject", ["a", "b"]]]);
    expect(groups[0]?.advice).toContain("repo:octo-org@42/…");
    expect(perRuleset.map((l) => l.map((x) => `${x.code}:${x.grouped}`))).toEqual([
      ["name_only_subject:true", "never_matches:false"],
      ["name_only_subject:true", "never_matches:false"],
      ["any_ref:false"],
    ]);
  });
});
