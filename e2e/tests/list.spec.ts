import { connectionPath, expect, test, uniqueName } from "../fixtures";
import { screenshotPath } from "../support/env";

test.describe("the connections list", () => {
  test("searches, filters by status, and deactivates, activates and deletes from the actions menu", async ({
    page,
    createConnection,
    expectAccessible,
  }) => {
    const tag = uniqueName("listtest").split(" ")[1] ?? "x";
    const first = await createConnection({ name: `Alpha ${tag}` });
    const second = await createConnection({ name: `Beta ${tag}` });

    await page.goto(connectionPath());
    await expect(page.getByRole("navigation", { name: "Breadcrumb" })).toContainText("Security and access");
    await page.getByRole("searchbox", { name: "Search" }).fill(tag);
    const table = page.getByRole("table", { name: "OIDC connections" });
    await expect(table.getByRole("row")).toHaveCount(3); // header + 2
    await expectAccessible(page, "connections list");

    const row = table.getByRole("row").filter({ hasText: first.name });
    await expect(row.getByText("Active")).toBeVisible();
    await expect(row.getByRole("cell", { name: "1", exact: true })).toBeVisible();

    // Deactivate from the actions menu (keyboard: the menu opens with focus on the first item).
    await row.getByRole("button", { name: `Actions for ${first.name}` }).click();
    await expect(page.getByRole("menuitem", { name: "Deactivate" })).toBeFocused();
    await page.getByRole("menuitem", { name: "Deactivate" }).press("Enter");
    const dialog = page.getByRole("dialog", { name: `Deactivate “${first.name}”?` });
    await expect(dialog).toContainText("new exchanges are refused");
    await expect(dialog).toContainText("revoked");
    await page.screenshot({ path: screenshotPath("deactivate-dialog") });
    await dialog.getByRole("button", { name: "Deactivate" }).click();
    await expect(dialog).toBeHidden();
    await expect(row.getByText("Inactive")).toBeVisible();

    // Status filter.
    await page.getByLabel("Status").selectOption("inactive");
    await expect(table.getByRole("row")).toHaveCount(2);
    await expect(table).toContainText(first.name);
    await page.getByLabel("Status").selectOption("active");
    await expect(table).toContainText(second.name);
    await expect(table).not.toContainText(first.name);
    await page.getByLabel("Status").selectOption("");

    // Activate again.
    await row.getByRole("button", { name: `Actions for ${first.name}` }).click();
    await page.getByRole("menuitem", { name: "Activate" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Activate" }).click();
    await expect(row.getByText("Active", { exact: true })).toBeVisible();

    // Delete: the button stays disabled until the name is typed.
    const secondRow = table.getByRole("row").filter({ hasText: second.name });
    await secondRow.getByRole("button", { name: `Actions for ${second.name}` }).click();
    await page.getByRole("menuitem", { name: "Delete" }).click();
    const del = page.getByRole("dialog", { name: `Delete “${second.name}”?` });
    await expect(del.getByRole("button", { name: "Delete connection" })).toBeDisabled();
    await del.getByRole("textbox").fill("wrong name");
    await expect(del.getByRole("button", { name: "Delete connection" })).toBeDisabled();
    await del.getByRole("textbox").fill(second.name);
    await page.screenshot({ path: screenshotPath("delete-dialog") });
    await del.getByRole("button", { name: "Delete connection" }).click();
    await expect(del).toBeHidden();
    await expect(table.getByRole("row").filter({ hasText: second.name })).toHaveCount(0);
    await expect(page.getByRole("status").filter({ hasText: `Deleted “${second.name}”` })).toBeVisible();
  });

  test("row actions work with the keyboard alone", async ({ page, createConnection }) => {
    const c = await createConnection();
    await page.goto(connectionPath());
    await page.getByRole("searchbox", { name: "Search" }).fill(c.name);
    const actions = page.getByRole("button", { name: `Actions for ${c.name}` });
    await actions.focus();
    await page.keyboard.press("Enter");
    await expect(page.getByRole("menuitem", { name: "Deactivate" })).toBeFocused();
    await page.keyboard.press("ArrowDown");
    await expect(page.getByRole("menuitem", { name: "Delete" })).toBeFocused();
    await page.keyboard.press("Escape");
    await expect(page.getByRole("menu")).toBeHidden();
    await expect(actions).toBeFocused();

    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: `Deactivate “${c.name}”?` });
    await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
    await page.keyboard.press("Tab");
    await expect(dialog.getByRole("button", { name: "Deactivate" })).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("row").filter({ hasText: c.name }).getByText("Inactive")).toBeVisible();
  });

  test("shows a message when nothing matches the search", async ({ page }) => {
    await page.goto(connectionPath());
    await page.getByRole("searchbox", { name: "Search" }).fill("no-such-connection-anywhere");
    await expect(page.getByRole("heading", { name: "No connections match" })).toBeVisible();
  });
});
