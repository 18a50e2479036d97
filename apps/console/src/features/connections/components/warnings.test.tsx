import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { type ConnectionDraft, emptyDraft, emptyRuleset } from "../lib/draft";
import { ConnectionFormHarness } from "./connection-form.harness";

const repositories = ["api", "web", "docs"].map((name) => ({ name, fullName: `octo-org/${name}` }));
const org = { slug: "octo-org", githubOwner: "octo-org", githubOwnerId: "1234567" };

function Harness({ initial }: { initial: ConnectionDraft }) {
  return <ConnectionFormHarness initial={initial} repositories={repositories} org={org} />;
}

const threeNameOnly = (): ConnectionDraft => ({
  ...emptyDraft(),
  rulesets: ["api", "web", "docs"].map((repo, i) => ({
    ...emptyRuleset(i),
    label: repo,
    subject: `repo:octo-org/${repo}:ref:refs/heads/main`,
    resources: [`octo-org/${repo}`],
  })),
});

describe("ruleset warnings (issue #10, item 7)", () => {
  it("a brand-new empty form warns of nothing before a subject is typed", () => {
    render(<Harness initial={emptyDraft()} />);
    expect(screen.queryByRole("list", { name: /Warnings/ })).toBeNull();
    expect(screen.queryByText(/cannot match/)).toBeNull();
  });

  it("advice repeated on several rulesets is said once, naming them; each keeps a short line", () => {
    render(<Harness initial={threeNameOnly()} />);
    const shared = screen.getByRole("list", { name: "Warnings for several rulesets" });
    expect(within(shared).getAllByRole("listitem")).toHaveLength(1);
    expect(shared.textContent).toContain("Name-only subject — rulesets “api”, “web”, “docs”.");
    expect(shared.textContent).toContain("(repo:octo-org@1234567/…)");
    expect(shared.textContent).toContain("repository_owner_id = 1234567");
    for (const label of ["api", "web", "docs"]) {
      const own = screen.getByRole("list", { name: `Warnings for Ruleset ${["api", "web", "docs"].indexOf(label) + 1}: ${label}` });
      expect(own.textContent).toContain("Name-only subject — see the note above the rulesets.");
      expect(own.textContent).not.toContain("will not match");
    }
  });

  it("a single name-only ruleset gets the whole advice with the org's owner ID, and one click rewrites the pattern", async () => {
    const user = userEvent.setup();
    const draft = threeNameOnly();
    render(<Harness initial={{ ...draft, rulesets: draft.rulesets.slice(0, 1) }} />);
    const own = screen.getByRole("list", { name: "Warnings for Ruleset 1: api" });
    expect(own.textContent).toContain("repo:octo-org@1234567/…");
    expect(own.textContent).toContain("write repo:octo-org@1234567/api@*:ref:refs/heads/main");
    expect(own.textContent).not.toContain("<owner-id>");
    await user.click(within(own).getByRole("button", { name: "Use the immutable form" }));
    expect((screen.getByRole("textbox", { name: "Subject claim pattern" }) as HTMLInputElement).value).toBe(
      "repo:octo-org@1234567/api@*:ref:refs/heads/main",
    );
    expect(screen.queryByText(/Name-only/)).toBeNull();
    expect(screen.queryByText(/immutable subjects/)).toBeNull();
  });

  it("or adds the owner ID condition, which keeps name-only subjects matching", async () => {
    const user = userEvent.setup();
    const draft = threeNameOnly();
    render(<Harness initial={{ ...draft, rulesets: draft.rulesets.slice(0, 1) }} />);
    await user.click(screen.getByRole("button", { name: "Add the condition repository_owner_id = 1234567" }));
    expect((screen.getByRole("textbox", { name: "Pattern 1" }) as HTMLInputElement).value).toBe("1234567");
    expect(screen.queryByRole("list", { name: /Warnings for Ruleset 1/ })).toBeNull();
  });
});
