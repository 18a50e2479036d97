import { evaluateRulesets } from "@oidc/shared";
import { describe, expect, it } from "vitest";
import { callerExamples, centralWorkflowRef, pinnedWorkflow, previewRuleset, reusableWorkflowSubjects } from "./examples";

const owner = { owner: "octo-org", ownerId: "1234567", repo: "api", repoId: "42" };

describe("trusted reusable workflow preset (SPEC §11)", () => {
  it("pins the central workflow at its ref, in both subject formats", () => {
    const ref = centralWorkflowRef("octo-org", "ci", ".github/workflows/release.yml", "refs/heads/main");
    expect(ref).toBe("octo-org/ci/.github/workflows/release.yml@refs/heads/main");
    expect(reusableWorkflowSubjects({ owner: "octo-org", ownerId: "1234567" })).toEqual({
      name: "repo:octo-org/*",
      immutable: "repo:octo-org@1234567/*",
    });
    expect(reusableWorkflowSubjects({ owner: "octo-org", ownerId: null }).immutable).toBeNull();
    expect(pinnedWorkflow([{ claim: "job_workflow_ref", pattern: ref }])).toBe(ref);
    expect(pinnedWorkflow([{ claim: "job_workflow_ref", pattern: "octo-org/ci/*" }])).toBeNull();
  });

  it("the preview's callers match only when they run the pinned workflow at the pinned ref, with the subject's format", () => {
    const ref = centralWorkflowRef("octo-org", "ci", "release.yml", "refs/heads/main");
    const conditions = [{ claim: "job_workflow_ref", pattern: ref }];
    const rows = (subject: string) =>
      Object.fromEntries(
        previewRuleset({ subject, conditions, scopes: ["pull"] }, callerExamples(owner, ref)).map((r) => [r.kind, r.matches]),
      );
    expect(rows("repo:octo-org@1234567/*")).toEqual({
      "web calls the central workflow": false,
      "web calls it (immutable IDs)": true,
      "web calls it at another ref": false,
      "web runs its own workflow": false,
    });
    expect(rows("repo:octo-org/*")["web calls the central workflow"]).toBe(true);
    // An audit ruleset would match the same callers, but grants nothing.
    const [caller] = callerExamples(owner, ref);
    const audit = evaluateRulesets(
      [{ label: "ci", subject: "repo:octo-org/*", conditions, resources: ["octo-org/web"], scopes: ["pull"], mode: "audit" }],
      { ...caller?.claims, sub: caller?.sub },
    );
    expect(audit).toEqual({ allowed: false, matched: [], access: [], audit: ["ci"] });
  });
});
