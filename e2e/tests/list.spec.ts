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

    // Deactivate from the actions menu (keyboard: the menu opens with focus on the first item, Edit).
    await row.getByRole("button", { name: `Actions for ${first.name}` }).click();
    await expect(page.getByRole("menuitem", { name: "Edit" })).toBeFocused();
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
    await expect(page.getByRole("menuitem", { name: "Edit" })).toBeFocused();
    await page.keyboard.press("ArrowDown");
    await expect(page.getByRole("menuitem", { name: "Copy ID" })).toBeFocused();
    await page.keyboard.press("ArrowDown");
    await expect(page.getByRole("menuitem", { name: "Deactivate" })).toBeFocused();
    await page.keyboard.press("ArrowDown");
    await expect(page.getByRole("menuitem", { name: "Delete" })).toBeFocused();
    await page.keyboard.press("Escape");
    await expect(page.getByRole("menu")).toBeHidden();
    await expect(actions).toBeFocused();

    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("End");
    await page.keyboard.press("ArrowUp");
    await expect(page.getByRole("menuitem", { name: "Deactivate" })).toBeFocused();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: `Deactivate “${c.name}”?` });
    await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
    await page.keyboard.press("Tab");
    await expect(dialog.getByRole("button", { name: "Deactivate" })).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("row").filter({ hasText: c.name }).getByText("Inactive")).toBeVisible();
  });

  test.describe("Edit and Copy ID (issue #10, item 5)", () => {
    test.use({ permissions: ["clipboard-read", "clipboard-write"] });

    test("the Actions menu copies the connection ID and opens Edit, which shows the ID with Copy", async ({ page, createConnection }) => {
      const c = await createConnection();
      await page.goto(connectionPath());
      await page.getByRole("searchbox", { name: "Search" }).fill(c.name);
      await page.getByRole("button", { name: `Actions for ${c.name}` }).click();
      await page.getByRole("menuitem", { name: "Copy ID" }).click();
      await expect(page.getByRole("status").filter({ hasText: `Copied the connection ID of “${c.name}”` })).toBeVisible();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(c.id);

      await page.evaluate(() => navigator.clipboard.writeText(""));
      await page.getByRole("button", { name: `Actions for ${c.name}` }).click();
      await page.getByRole("menuitem", { name: "Edit" }).click();
      await expect(page.getByRole("heading", { level: 1, name: `Edit ${c.name}` })).toBeVisible();
      await expect(page.getByText(c.id, { exact: true })).toBeVisible();
      await page.getByRole("button", { name: "Copy connection ID" }).click();
      await expect(page.getByRole("button", { name: "Copy connection ID: copied" })).toBeVisible();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(c.id);
    });
  });

  test("on a 360 px phone the Actions button sits beside the name, never over it (issue #10, item 4)", async ({
    page,
    createConnection,
    expectAccessible,
  }) => {
    const c = await createConnection({ name: uniqueName("A connection with a rather long name for a phone") });
    await page.setViewportSize({ width: 360, height: 780 });
    await page.goto(connectionPath());
    await page.getByRole("searchbox", { name: "Search" }).fill(c.name);
    const name = page.getByRole("link", { name: c.name });
    const actions = page.getByRole("button", { name: `Actions for ${c.name}` });
    await expect(name).toBeVisible();
    const [a, b] = [await name.boundingBox(), await actions.boundingBox()];
    if (!a || !b) throw new Error("no layout");
    const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    expect(overlap, `name ${JSON.stringify(a)} vs actions ${JSON.stringify(b)}`).toBe(false);
    // Tapping the start of the name opens the connection, not the menu.
    await name.click({ position: { x: 4, y: 4 } });
    await expect(page.getByRole("heading", { level: 1, name: c.name })).toBeVisible();
    await expect(page.getByRole("menu")).toHaveCount(0);
    await page.goBack();
    await expectAccessible(page, "list at 360 px");
  });

  test("shows a message when nothing matches the search", async ({ page }) => {
    await page.goto(connectionPath());
    await page.getByRole("searchbox", { name: "Search" }).fill("no-such-connection-anywhere");
    await expect(page.getByRole("heading", { name: "No connections match" })).toBeVisible();
  });
});
