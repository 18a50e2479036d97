import { connectionPath, expect, paths, test } from "../fixtures";
import { ORG } from "../support/env";

test.describe("the connection page", () => {
  test("deactivates and activates, shows the change in Activity, and deletes after typing the name", async ({
    page,
    createConnection,
    expectAccessible,
  }) => {
    const c = await createConnection();
    await page.goto(connectionPath(c.id));
    await expect(page.getByRole("heading", { level: 1, name: c.name })).toBeVisible();
    await expect(page.getByTestId("connection-id")).toHaveText(c.id);
    await expect(page.getByRole("region", { name: /Ruleset 1: main branch/ })).toBeVisible();
    await expectAccessible(page, "connection overview");

    await page.getByRole("button", { name: "Deactivate" }).click();
    const dialog = page.getByRole("dialog");
    await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
    await dialog.getByRole("button", { name: "Deactivate" }).click();
    await expect(page.getByText("Inactive", { exact: true })).toBeVisible();
    await expect(page.getByText("This connection is inactive")).toBeVisible();
    // Focus goes back to the button that opened the dialog (now "Activate").
    await expect(page.getByRole("button", { name: "Activate" })).toBeFocused();

    await page.getByRole("link", { name: "Activity" }).click();
    await expect(page.getByRole("list", { name: "Activity" }).getByRole("listitem").first()).toContainText("Connection deactivated");
    await expect(page.getByRole("list", { name: "Activity" })).toContainText("Connection created");
    await expectAccessible(page, "activity tab");

    await page.getByRole("button", { name: "Activate" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Activate" }).click();
    await expect(page.getByText("Active", { exact: true })).toBeVisible();
    await expect(page.getByRole("list", { name: "Activity" }).getByRole("listitem").first()).toContainText("Connection activated");

    await page.getByRole("button", { name: "Delete" }).click();
    const del = page.getByRole("dialog", { name: `Delete “${c.name}”?` });
    await del.getByRole("textbox", { name: `Type “${c.name}” to confirm` }).fill(c.name);
    await del.getByRole("textbox").press("Enter");
    await expect(page).toHaveURL(new RegExp(`${connectionPath()}$`));
    // Focus moves to the new page's heading.
    await expect(page.getByRole("heading", { level: 1, name: "OIDC connections" })).toBeFocused();
    await expect(page.getByRole("link", { name: c.name })).toHaveCount(0);
  });

  test("one not-found page, inside the shell, for an unknown, deleted or foreign connection and an unknown org (issue #10, item 6)", async ({
    page,
    adminApi,
    createConnection,
    expectAccessible,
  }) => {
    const expectNotFound = async (heading: string, back: string) => {
      await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
      await expect(page.getByRole("banner")).toContainText("Admin Console");
      await expect(page.getByRole("button", { name: "Try again" })).toHaveCount(0);
      await expect(page.getByRole("link", { name: back })).toBeVisible();
    };
    await page.goto(connectionPath("00000000-0000-4000-8000-000000000000"));
    await expectNotFound("Connection not found", "Back to OIDC connections");
    await expectAccessible(page, "connection not found");

    // Deleted: the same page, also for its Edit and Test URLs.
    const c = await createConnection();
    expect((await adminApi.delete(`/api/orgs/${ORG}/oidc-connections/${c.id}`)).status()).toBe(204);
    for (const path of [c.id, `${c.id}/edit`, `${c.id}/test`]) {
      await page.goto(connectionPath(path));
      await expectNotFound("Connection not found", "Back to OIDC connections");
    }
    await page.getByRole("link", { name: "Back to OIDC connections" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "OIDC connections" })).toBeVisible();

    // An org the admin is not a member of (acme exists), and one that does not exist: no difference.
    for (const org of ["acme", "no-such-org"]) {
      await page.goto(paths.connection(org, "00000000-0000-4000-8000-000000000000"));
      await expectNotFound("Page not found", "Go to the console");
      await expect(page.getByRole("link", { name: "OIDC connections", exact: true })).toHaveCount(0);
    }
    await expectAccessible(page, "page not found");
    await page.getByRole("link", { name: "Go to the console" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "OIDC connections" })).toBeVisible();
  });
});
