import { type ConnectionStatus, decideExchange, lintRulesets } from "@oidc/shared";
import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Connection } from "../api/get-connection";
import { parseTestInput } from "../lib/jwt";
import { claimsToTest } from "../lib/test-claims";
import { TestResult } from "./test-panel";

const owner = { githubOwner: "octo-org", githubOwnerId: "1234567" };

function connection(status: ConnectionStatus): Connection {
  const rulesets = [
    {
      label: "main",
      subject: "repo:octo-org/api:ref:refs/heads/main",
      conditions: [],
      resources: ["octo-org/api"],
      scopes: ["pull"] as const,
    },
    {
      label: "production",
      subject: "repo:octo-org/web:*",
      conditions: [{ claim: "environment", pattern: "production" }],
      resources: ["octo-org/web"],
      scopes: ["pull", "push"] as const,
    },
  ].map((r, i) => ({ ...r, id: `r${i}`, scopes: [...r.scopes], lastUsedAt: null }));
  return {
    id: "c1",
    org: "octo-org",
    name: "Deploy",
    description: "",
    type: "github-actions",
    issuer: "https://token.actions.githubusercontent.com",
    status,
    maxTokenTtlSeconds: 3600,
    version: 1,
    rulesets,
    warnings: lintRulesets(rulesets),
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    createdBy: null,
    updatedBy: null,
    lastUsedAt: null,
  } as unknown as Connection;
}

/** What the Test tab evaluates for an input, decided as the simulate endpoint decides. */
function dryRun(input: string, status: ConnectionStatus = "active") {
  const c = connection(status);
  const claims = claimsToTest(parseTestInput(input), owner);
  if (!claims) throw new Error("no claims");
  return { c, result: decideExchange(c, claims), claims };
}

describe("the Test tab's dry run", () => {
  it("a subject is tested with the claims its job carries: an environment condition matches (issue #10, item 1)", () => {
    const { c, result, claims } = dryRun("repo:octo-org/web:environment:production");
    expect(claims).toMatchObject({ environment: "production", repository: "octo-org/web", repository_owner_id: "1234567" });
    render(<TestResult connection={c} result={result} />);
    const region = screen.getByRole("region", { name: "Result" });
    expect(within(region).getByText("Allowed")).toBeTruthy();
    expect(within(region).getByText("production").closest("li")?.textContent).toContain("matches");
    expect(within(region).getByRole("row", { name: /octo-org\/web/ }).textContent).toContain("pull, push");
  });

  it("the org's owner ID is used only for the org's own owner", () => {
    expect(claimsToTest(parseTestInput("repo:someone-else/x:ref:refs/heads/main"), owner)).not.toHaveProperty("repository_owner_id");
    expect(claimsToTest(parseTestInput("repo:Octo-Org/x:ref:refs/heads/main"), owner)).toHaveProperty("repository_owner_id", "1234567");
    expect(claimsToTest(parseTestInput('{"sub":"repo:octo-org/x:ref:refs/heads/main"}'), owner)).toEqual({
      sub: "repo:octo-org/x:ref:refs/heads/main",
    });
  });

  it("an inactive connection is denied and says so, and which rulesets would match", () => {
    const { c, result } = dryRun("repo:octo-org/api:ref:refs/heads/main", "inactive");
    render(<TestResult connection={c} result={result} />);
    const region = screen.getByRole("region", { name: "Result" });
    expect(within(region).getByText("Denied: the connection is inactive")).toBeTruthy();
    expect(region.textContent).toContain("until an owner activates it");
    expect(within(region).getByText("main").closest("li")?.textContent).toContain("matches (but the connection is inactive)");
    expect(within(region).queryByRole("table")).toBeNull();
  });

  it("a denial names the closest ruleset and the part that failed", () => {
    const { c, result } = dryRun("repo:octo-org/web:environment:staging");
    render(<TestResult connection={c} result={result} />);
    const region = screen.getByRole("region", { name: "Result" });
    expect(within(region).getByText("Denied")).toBeTruthy();
    expect(region.textContent).toContain("Closest ruleset: “production”: condition environment = production failed; the token had staging");
  });
});
