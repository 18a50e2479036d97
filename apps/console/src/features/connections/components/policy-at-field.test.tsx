import { DEFAULT_POLICY } from "@oidc/shared";
import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { emptyDraft } from "../lib/draft";
import { ConnectionFormHarness } from "./connection-form.harness";

const repositories = ["api", "web"].map((name) => ({ name, fullName: `octo-org/${name}` }));
const org = { slug: "octo-org", githubOwner: "octo-org", githubOwnerId: "1234567" };
const policy = { ...DEFAULT_POLICY, requireImmutableSubjects: true };

function Harness() {
  return <ConnectionFormHarness initial={emptyDraft()} repositories={repositories} org={org} policy={policy} />;
}

describe("the organisation policy in the connection form (SPEC §11)", () => {
  it("shows what breaks the policy at the subject field as you type, with what to write instead", () => {
    render(<Harness />);
    const subject = screen.getByRole("textbox", { name: "Subject claim pattern" });
    // Nothing typed yet: no complaint.
    expect(subject.getAttribute("aria-invalid")).toBeNull();
    fireEvent.change(subject, { target: { value: "repo:octo-org/api:ref:refs/heads/main" } });
    expect(subject.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByText(/requires immutable subjects: write repo:octo-org@1234567\/api@\*:ref:refs\/heads\/main/)).toBeTruthy();
    fireEvent.change(subject, { target: { value: "repo:octo-org@1234567/api@*:ref:refs/heads/main" } });
    expect(subject.getAttribute("aria-invalid")).toBeNull();
  });
});
