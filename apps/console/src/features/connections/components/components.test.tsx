import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { CopyButton } from "../../../components/ui/copy-button";
import { type ConnectionDraft, emptyDraft } from "../lib/draft";
import { EventDetails } from "./activity-list";
import { ConnectionFormHarness } from "./connection-form.harness";

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
  const base = {
    id: "1",
    connectionId: null,
    actor: { type: "user" as const, id: null, name: "a" },
    ip: null,
    createdAt: new Date().toISOString(),
  };

  it("says what an update changed", () => {
    render(
      <EventDetails
        event={{
          ...base,
          type: "connection.updated",
          outcome: "success",
          reason: null,
          details: {
            version: 2,
            changes: {
              name: { before: "old", after: "new" },
              rulesets: {
                added: ["tags"],
                removed: [],
                changed: [{ id: "x", label: "main", before: { scopes: ["pull"] }, after: { scopes: ["pull", "push"] } }],
                reordered: false,
              },
            },
          },
        }}
      />,
    );
    expect(screen.getByText("Rulesets added").nextSibling?.textContent).toBe("tags");
    expect(screen.getByText("Ruleset “main” changed").nextSibling?.textContent).toContain("scopes: pull → pull, push");
    expect(screen.getByText("Name").nextSibling?.textContent).toBe("old → new");
  });

  it("names the closest ruleset of a denied exchange and shows unknown keys as they are", () => {
    render(
      <EventDetails
        event={{
          ...base,
          type: "token.denied",
          outcome: "failure",
          reason: "no_matching_ruleset",
          details: {
            error: "invalid_grant",
            verified: true,
            job: { sub: "repo:octo-org/api:pull_request", repository: "octo-org/api", ref: "refs/pull/1/merge", runId: "77" },
            diagnosis: {
              label: "main",
              failed: { kind: "subject", pattern: "repo:octo-org/api:ref:refs/heads/main", matchedPrefix: "repo:octo-org/api:" },
            },
            requestId: "abc123",
            somethingNew: { a: 1 },
          },
        }}
      />,
    );
    expect(screen.getByText("Closest ruleset").nextSibling?.textContent).toContain("matched only up to repo:octo-org/api:");
    expect(screen.getByText("Subject").nextSibling?.textContent).toBe("repo:octo-org/api:pull_request");
    expect(screen.getByText("Run").nextSibling?.textContent).toBe("77");
    expect(screen.getByText("Request ID").nextSibling?.textContent).toBe("abc123");
    expect(screen.getByText("Token verified").nextSibling?.textContent).toBe("yes");
    expect(screen.getByText("somethingNew").nextSibling?.textContent).toBe('{"a":1}');
  });

  it("shows repository, ref and workflow of an exchange", () => {
    render(
      <EventDetails
        event={{
          ...base,
          type: "token.exchanged",
          outcome: "success",
          reason: null,
          details: {
            repository: "octo-org/api",
            ref: "refs/heads/main",
            workflow: "build",
            runId: "42",
            matched: ["main"],
            access: [{ resource: "octo-org/api", scopes: ["pull"] }],
          },
        }}
      />,
    );
    expect(screen.getByText("Repository").nextSibling?.textContent).toBe("octo-org/api");
    expect(screen.getByText("Granted access").nextSibling?.textContent).toBe("octo-org/api: pull");
  });

  it("shows what a registry token granted, what was asked, the registry and the username", () => {
    const registryToken = (access: { type: string; name: string; actions: string[] }[], scope: string) => ({
      ...base,
      type: "registry.token",
      outcome: "success" as const,
      reason: null,
      details: {
        tokenId: "t-1",
        service: "registry.example.com",
        username: "octo-org",
        scope,
        access,
        repository: "octo-org/api",
        ref: "refs/heads/main",
      },
    });
    const { unmount } = render(
      <EventDetails
        event={registryToken(
          [{ type: "repository", name: "octo-org/api", actions: ["pull", "push"] }],
          "repository:octo-org/api:pull,push repository:octo-org/web:pull",
        )}
      />,
    );
    expect(screen.getByText("Granted access").nextSibling?.textContent).toBe("octo-org/api: pull, push");
    expect(screen.getByText("Requested").nextSibling?.textContent).toBe("repository:octo-org/api:pull,push, repository:octo-org/web:pull");
    expect(screen.getByText("Registry").nextSibling?.textContent).toBe("registry.example.com");
    expect(screen.getByText("Username").nextSibling?.textContent).toBe("octo-org");
    expect(screen.getByText("Repository").nextSibling?.textContent).toBe("octo-org/api");
    expect(screen.getByText("Token ID").nextSibling?.textContent).toBe("t-1");
    unmount();
    render(<EventDetails event={registryToken([], "")} />);
    expect(screen.getByText("Granted access").nextSibling?.textContent).toMatch(/^none/);
    expect(screen.getByText("Requested").nextSibling?.textContent).toBe("none");
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
