import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { serverEvent } from "./__fixtures__/server-events";
import { EventDetails } from "./event-details";

// Events as the server writes them (the fixture of apps/server/test/event-contract.test.ts); run 4242 of octo-org/api.
const denied = serverEvent("token.denied/no_matching_ruleset");

describe("token events link to their workflow run (issue #10, item 10)", () => {
  it("an exchange links to the run (and its attempt) on the connection's GitHub", () => {
    render(<EventDetails event={serverEvent("token.exchanged", { runAttempt: "2" })} />);
    const link = screen.getByRole("link", { name: "Workflow run 4242 (attempt 2) on GitHub (opens in a new tab)" });
    expect(link.getAttribute("href")).toBe("https://github.com/octo-org/api/actions/runs/4242/attempts/2");
    expect(link.getAttribute("rel")).toContain("noopener");
    expect(screen.queryByText("serverUrl")).toBeNull();
  });

  it("a denial of a verified token links too; of an unverified one it does not (its claims could name anything)", () => {
    expect(denied.details.verified).toBe(true);
    const { unmount } = render(<EventDetails event={denied} />);
    expect(screen.getByRole("link", { name: /Workflow run 4242 on GitHub/ }).getAttribute("href")).toBe(
      "https://github.com/octo-org/api/actions/runs/4242",
    );
    unmount();
    const unverified = serverEvent("token.denied/bad_signature");
    expect(unverified.details.verified).toBe(false);
    render(<EventDetails event={unverified} />);
    expect(screen.queryByRole("link")).toBeNull();
    expect(screen.getByText("Run").nextSibling?.textContent).toBe("4242");
  });

  it("no link without a server URL or with a malformed repository", () => {
    const { unmount } = render(<EventDetails event={serverEvent("token.exchanged", { repository: "../x" })} />);
    expect(screen.queryByRole("link")).toBeNull();
    unmount();
    render(<EventDetails event={serverEvent("token.exchanged", { serverUrl: null })} />);
    expect(screen.queryByRole("link")).toBeNull();
    expect(screen.getByText("Run").nextSibling?.textContent).toBe("4242");
  });
});
