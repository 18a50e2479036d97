import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { EventDetails } from "./activity-list";

const base = {
  id: "1",
  connectionId: null,
  actor: { type: "workflow" as const, id: null, name: "octo-org/api" },
  ip: null,
  createdAt: new Date().toISOString(),
};
const job = { serverUrl: "https://github.com", repository: "octo-org/api", runId: "4242", runAttempt: "2" };

describe("token events link to their workflow run (issue #10, item 10)", () => {
  it("an exchange links to the run (and its attempt) on the connection's GitHub", () => {
    render(
      <EventDetails
        event={{ ...base, type: "token.exchanged", outcome: "success", reason: null, details: { ...job, ref: "refs/heads/main" } }}
      />,
    );
    const link = screen.getByRole("link", { name: "Workflow run 4242 (attempt 2) on GitHub (opens in a new tab)" });
    expect(link.getAttribute("href")).toBe("https://github.com/octo-org/api/actions/runs/4242/attempts/2");
    expect(link.getAttribute("rel")).toContain("noopener");
    expect(screen.queryByText("serverUrl")).toBeNull();
  });

  it("a denial of a verified token links too; of an unverified one it does not (its claims could name anything)", () => {
    const denied = (verified: boolean) => ({
      ...base,
      type: "token.denied",
      outcome: "failure" as const,
      reason: "no_matching_ruleset",
      details: { verified, job: { ...job, runAttempt: "1" } },
    });
    const { unmount } = render(<EventDetails event={denied(true)} />);
    expect(screen.getByRole("link", { name: /Workflow run 4242 on GitHub/ }).getAttribute("href")).toBe(
      "https://github.com/octo-org/api/actions/runs/4242",
    );
    unmount();
    render(<EventDetails event={denied(false)} />);
    expect(screen.queryByRole("link")).toBeNull();
    expect(screen.getByText("Run").nextSibling?.textContent).toBe("4242");
  });

  it("no link without a server URL or with a malformed repository", () => {
    render(
      <EventDetails
        event={{
          ...base,
          type: "token.exchanged",
          outcome: "success",
          reason: null,
          details: { repository: "../x", runId: "4242" },
        }}
      />,
    );
    expect(screen.queryByRole("link")).toBeNull();
  });
});
