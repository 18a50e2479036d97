import type { DenialReason } from "@oidc/shared";
import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { CopyButton } from "../../../components/ui/copy-button";
import { type ConnectionDraft, emptyDraft } from "../lib/draft";
import { serverEvent, serverEvents } from "./__fixtures__/server-events";
import { ConnectionFormHarness } from "./connection-form.harness";
import { DENIAL_REASON_TITLES, EventDetails, eventTitle, parseEvent } from "./event-details";

const repositories = ["api", "web"].map((name) => ({ name, fullName: `octo-org/${name}` }));
const org = { slug: "octo-org", githubOwner: "octo-org", githubOwnerId: "1234567" };

function Harness({ initial = emptyDraft(), errors = {} }: { initial?: ConnectionDraft; errors?: Record<string, string> }) {
  return <ConnectionFormHarness initial={initial} errors={errors} repositories={repositories} org={org} />;
}

describe("ConnectionForm", () => {
  it("validates the subject as you type and shows lints with what to write instead", () => {
    render(<Harness />);
    const subject = screen.getByRole("textbox", { name: "Subject claim pattern" });
    fireEvent.change(subject, { target: { value: "octo-org/api" } });
    expect(subject.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByText(/Must start with repo:/)).toBeTruthy();

    fireEvent.change(subject, { target: { value: "repo:*" } });
    const warnings = screen.getByRole("list", { name: /Warnings for Ruleset 1/ });
    expect(within(warnings).getByText(/Any GitHub account could match/)).toBeTruthy();
  });

  it("previews example subjects in the browser", () => {
    render(<Harness />);
    fireEvent.change(screen.getByRole("textbox", { name: "Subject claim pattern" }), {
      target: { value: "repo:octo-org/api:environment:production" },
    });
    const preview = screen.getByRole("region", { name: "Live preview" });
    expect(preview.textContent).toContain("1 of 5 example jobs");
    const env = within(preview).getByText("Environment production").closest("li");
    expect(env?.textContent).toContain("matches");
  });

  it("adds up to five rulesets, then disables Add", () => {
    render(<Harness />);
    const add = screen.getByRole("button", { name: "+ Add ruleset" }) as HTMLButtonElement;
    for (let i = 0; i < 4; i++) fireEvent.click(add);
    expect(screen.getAllByRole("group", { name: /^Ruleset \d/ })).toHaveLength(5);
    expect(add.disabled).toBe(true);
    expect(screen.getByText("A connection can have at most 5 rulesets.")).toBeTruthy();
  });

  it("moves and removes rulesets", () => {
    render(<Harness />);
    fireEvent.click(screen.getByRole("button", { name: "+ Add ruleset" }));
    fireEvent.click(screen.getByRole("button", { name: "Move Ruleset 2: ruleset 2 up" }));
    const groups = screen.getAllByRole("group", { name: /^Ruleset \d/ });
    expect(groups[0]?.querySelector("legend")?.textContent).toBe("Ruleset 1: ruleset 2");
    fireEvent.click(screen.getByRole("button", { name: "Remove Ruleset 1: ruleset 2" }));
    expect(screen.getAllByRole("group", { name: /^Ruleset \d/ })).toHaveLength(1);
  });

  it("shows server issues beside the right field", () => {
    render(
      <Harness
        errors={{ name: "This name is already used in this organisation", "rulesets.0.resources.0": "octo-org/x is not a repository" }}
      />,
    );
    const name = screen.getByRole("textbox", { name: "Name" });
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(name.getAttribute("aria-describedby")?.split(" ").pop() ?? "")?.textContent).toMatch(/already used/);
    expect(screen.getByText("octo-org/x is not a repository")).toBeTruthy();
  });

  it("applies scope presets", () => {
    render(<Harness />);
    fireEvent.click(screen.getByRole("button", { name: "Read & write" }));
    expect((screen.getByRole("checkbox", { name: /push/ }) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByRole("checkbox", { name: /delete/ }) as HTMLInputElement).checked).toBe(false);
  });
});

describe("EventDetails", () => {
  // Every input is an event the real server wrote (the fixture of apps/server/test/event-contract.test.ts).

  it("says what an update changed", () => {
    render(<EventDetails event={serverEvent("connection.updated")} />);
    expect(screen.getByText("Rulesets added").nextSibling?.textContent).toBe("tags");
    expect(screen.getByText("Ruleset “main” changed").nextSibling?.textContent).toContain("scopes: pull, push → pull");
    expect(screen.getByText("Name").nextSibling?.textContent).toBe("Contract changes → Contract changed");
    expect(screen.getByText("Maximum token lifetime").nextSibling?.textContent).toBe("3600 → 900");
  });

  it("names the closest ruleset of a denied exchange and shows unknown keys as they are", () => {
    const event = serverEvent("token.denied/no_matching_ruleset", { somethingNew: { a: 1 } });
    render(<EventDetails event={event} />);
    expect(screen.getByText("Reason").nextSibling?.textContent).toBe("No ruleset matches the token no_matching_ruleset");
    expect(screen.getByText("Closest ruleset").nextSibling?.textContent).toContain("matched only up to repo:octo-org/api:");
    expect(screen.getByText("Subject").nextSibling?.textContent).toBe("repo:octo-org/api:pull_request");
    expect(screen.getByText("Run").nextSibling?.textContent).toBe("4242");
    expect(screen.getByText("Request ID").nextSibling?.textContent).toBe(event.details.requestId);
    expect(screen.getByText("Token verified").nextSibling?.textContent).toBe("yes");
    expect(screen.getByText("somethingNew").nextSibling?.textContent).toBe('{"a":1}');
  });

  it("shows repository, ref and workflow of an exchange", () => {
    render(<EventDetails event={serverEvent("token.exchanged")} />);
    expect(screen.getByText("Repository").nextSibling?.textContent).toBe("octo-org/api");
    expect(screen.getByText("Ref").nextSibling?.textContent).toBe("refs/heads/main");
    expect(screen.getByText("Workflow").nextSibling?.textContent).toBe("Release");
    expect(screen.getByText("Matched rulesets").nextSibling?.textContent).toBe("main");
    expect(screen.getByText("Granted access").nextSibling?.textContent).toBe("octo-org/api: pull, push");
  });

  it("shows what a registry token granted, what was asked, the registry and the username", () => {
    const event = serverEvent("registry.token");
    const { unmount } = render(<EventDetails event={event} />);
    expect(screen.getByText("Granted access").nextSibling?.textContent).toBe("octo-org/api: pull, push");
    expect(screen.getByText("Requested").nextSibling?.textContent).toBe("repository:octo-org/api:pull,push");
    expect(screen.getByText("Registry").nextSibling?.textContent).toBe("localhost:3000");
    expect(screen.getByText("Username").nextSibling?.textContent).toBe("octo-org");
    expect(screen.getByText("Repository").nextSibling?.textContent).toBe("octo-org/api");
    expect(screen.getByText("Token ID").nextSibling?.textContent).toBe(event.details.tokenId);
    unmount();
    // A plain login: nothing asked, nothing granted.
    render(<EventDetails event={serverEvent("registry.token", { access: [], scope: "" })} />);
    expect(screen.getByText("Granted access").nextSibling?.textContent).toMatch(/^none/);
    expect(screen.getByText("Requested").nextSibling?.textContent).toBe("none");
  });

  it("renders every event the server writes by its type, with a title, and every denial reason in words (issue #8)", () => {
    for (const [scenario, event] of Object.entries(serverEvents)) {
      expect(parseEvent(event), scenario).not.toBeNull();
      expect(eventTitle(event.type), scenario).not.toBe(event.type);
      const { container, unmount } = render(<EventDetails event={event} />);
      // Nothing of the contract falls through to the raw key/value rows.
      for (const key of Object.keys(event.details))
        expect(within(container).queryByText(key, { exact: true }), `${scenario}: ${key}`).toBeNull();
      if (event.reason) {
        const reason = screen.getByText("Reason").nextSibling?.textContent ?? "";
        expect(reason, scenario).toBe(`${DENIAL_REASON_TITLES[event.reason as DenialReason]} ${event.reason}`);
      }
      unmount();
    }
    expect(serverEvents["token.denied/replay"]?.reason).toBe("replay");
    expect(DENIAL_REASON_TITLES.replay).toBe("The token was already used");
    expect(DENIAL_REASON_TITLES.untrusted_issuer).toBe("The token's issuer is not trusted for this connection");
  });
});

describe("CopyButton", () => {
  it("puts the text on the clipboard and says so", async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    render(<CopyButton text="abc" label="Copy connection ID" />);
    fireEvent.click(screen.getByRole("button", { name: "Copy connection ID" }));
    expect(await screen.findByRole("button", { name: "Copy connection ID: copied" })).toBeTruthy();
    expect(writeText).toHaveBeenCalledWith("abc");
    expect(screen.getByText("Copied to the clipboard")).toBeTruthy();
  });
});
