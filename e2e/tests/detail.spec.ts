import { connectionPath, expect, test } from "../fixtures";

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

  test("an unknown connection shows a not-found message", async ({ page }) => {
    await page.goto(connectionPath("00000000-0000-4000-8000-000000000000"));
    await expect(page.getByRole("alert")).toContainText("Not found");
  });
});
