import { fireEvent, render, screen } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { AppLayout } from "./app-layout";

function renderLayout(orgs: { slug: string; name: string }[], onSwitchOrg = vi.fn()) {
  const router = createMemoryRouter(
    [
      {
        path: "*",
        element: (
          <AppLayout
            userLabel="admin@example.com"
            orgs={orgs}
            currentOrg="octo-org"
            onSwitchOrg={onSwitchOrg}
            onSignOut={() => {}}
            signingOut={false}
          >
            <p>page</p>
          </AppLayout>
        ),
      },
    ],
    { initialEntries: ["/orgs/octo-org/oidc-connections"] },
  );
  render(<RouterProvider router={router} />);
  return onSwitchOrg;
}

describe("AppLayout", () => {
  it("offers an organisation switcher to users in several orgs", () => {
    const onSwitch = renderLayout([
      { slug: "acme", name: "Acme" },
      { slug: "octo-org", name: "Octo Org" },
    ]);
    const select = screen.getByRole("combobox", { name: "Organisation" }) as HTMLSelectElement;
    expect(select.value).toBe("octo-org");
    fireEvent.change(select, { target: { value: "acme" } });
    expect(onSwitch).toHaveBeenCalledWith("acme");
  });

  it("shows just the name with one org, and the Security and access navigation", () => {
    renderLayout([{ slug: "octo-org", name: "Octo Org" }]);
    expect(screen.queryByRole("combobox", { name: "Organisation" })).toBeNull();
    expect(screen.getByText("Octo Org")).toBeTruthy();
    const link = screen.getByRole("link", { name: "OIDC connections" });
    expect(link.getAttribute("href")).toBe("/orgs/octo-org/oidc-connections");
    expect(link.getAttribute("aria-current")).toBe("page");
  });
});
