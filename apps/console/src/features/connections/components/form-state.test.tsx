import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { useMemo, useRef } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { describe, expect, it, vi } from "vitest";
import type { ApiIssue } from "../../../lib/api-client";
import { type ServerIssue, serverIssues, withServerIssues } from "../../../lib/form";
import { type ConnectionDraft, createResolver, emptyDraft, emptyRuleset } from "../lib/draft";
import { ConnectionForm } from "./connection-form";

const repositories = ["api", "web"].map((name) => ({ name, fullName: `octo-org/${name}` }));
const org = { slug: "octo-org", githubOwner: "octo-org", githubOwnerId: "1234567" };

const valid = (): ConnectionDraft => ({
  ...emptyDraft(),
  name: "Publish",
  rulesets: [{ ...emptyRuleset(0), subject: "repo:octo-org/api:ref:refs/heads/main", resources: ["octo-org/api"] }],
});

/** The create form's state as CreateConnectionForm keeps it, with the server's answer given up front. */
function Form({ initial, answer, onValid }: { initial: ConnectionDraft; answer: ApiIssue[]; onValid: (body: unknown) => void }) {
  const issues = useRef<ServerIssue[]>([]);
  const resolver = useMemo(() => withServerIssues(createResolver, () => issues.current), []);
  const form = useForm<ConnectionDraft, unknown, unknown>({ defaultValues: initial, resolver });
  return (
    <FormProvider {...form}>
      <form
        noValidate
        onSubmit={form.handleSubmit((body) => {
          onValid(body);
          if (answer.length && !issues.current.length) {
            issues.current = serverIssues(answer, form.getValues());
            void form.trigger(undefined, { shouldFocus: true });
          }
        })}
      >
        <p>{form.formState.isDirty ? "dirty" : "clean"}</p>
        <ConnectionForm repositories={repositories} org={org} />
        <button type="submit">Submit</button>
      </form>
    </FormProvider>
  );
}

const nameBox = () => screen.getByRole("textbox", { name: "Name" }) as HTMLInputElement;

describe("connection form state (react-hook-form with the shared schema)", () => {
  it("refuses an invalid submit with the schema's errors at their fields, and focuses the first", async () => {
    const onValid = vi.fn();
    render(<Form initial={emptyDraft()} answer={[]} onValid={onValid} />);
    fireEvent.click(screen.getByRole("button", { name: "Submit" }));
    await waitFor(() => expect(nameBox().getAttribute("aria-invalid")).toBe("true"));
    expect(screen.getByText("Enter a name")).toBeTruthy();
    expect(document.activeElement).toBe(nameBox());
    expect(onValid).not.toHaveBeenCalled();
    // Typing re-validates the field: its error goes.
    fireEvent.change(nameBox(), { target: { value: "Publish" } });
    await waitFor(() => expect(nameBox().getAttribute("aria-invalid")).toBeNull());
  });

  it("keeps a server issue at its field until that field changes; submitting it unchanged is refused again", async () => {
    const onValid = vi.fn();
    const answer = [{ path: ["name"], message: "This name is already used in this organisation" }];
    render(<Form initial={valid()} answer={answer} onValid={onValid} />);
    fireEvent.click(screen.getByRole("button", { name: "Submit" }));
    expect(await screen.findByText(/already used/)).toBeTruthy();
    expect(onValid).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(document.activeElement).toBe(nameBox()));
    fireEvent.click(screen.getByRole("button", { name: "Submit" }));
    await waitFor(() => expect(nameBox().getAttribute("aria-invalid")).toBe("true"));
    expect(onValid).toHaveBeenCalledTimes(1);
    fireEvent.change(nameBox(), { target: { value: "Publish 2" } });
    await waitFor(() => expect(screen.queryByText(/already used/)).toBeNull());
    fireEvent.click(screen.getByRole("button", { name: "Submit" }));
    await waitFor(() => expect(onValid).toHaveBeenCalledTimes(2));
  });

  it("a server issue inside a ruleset's repositories shows at the repositories and goes when they change", async () => {
    const answer = [{ path: ["rulesets", 0, "resources", 0], message: "octo-org/api is not a repository of this organisation" }];
    render(<Form initial={valid()} answer={answer} onValid={() => undefined} />);
    fireEvent.click(screen.getByRole("button", { name: "Submit" }));
    expect(await screen.findByText(/is not a repository/)).toBeTruthy();
    fireEvent.click(screen.getByRole("checkbox", { name: "octo-org/web" }));
    await waitFor(() => expect(screen.queryByText(/is not a repository/)).toBeNull());
  });

  it("is dirty after a change and clean again once the change is undone (local ruleset keys do not count)", async () => {
    render(<Form initial={valid()} answer={[]} onValid={() => undefined} />);
    expect(screen.getByText("clean")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "+ Add ruleset" }));
    await screen.findByText("dirty");
    fireEvent.click(screen.getByRole("button", { name: "Remove Ruleset 2: ruleset 2" }));
    await screen.findByText("clean");
    fireEvent.change(nameBox(), { target: { value: "Publish!" } });
    await screen.findByText("dirty");
    fireEvent.change(nameBox(), { target: { value: "Publish" } });
    await screen.findByText("clean");
  });
});
