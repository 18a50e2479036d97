import { connectionPath, expect, test } from "../fixtures";
import { USERS } from "../support/env";

test.describe("a member (read-only)", () => {
  test.use({ storageState: USERS.viewer.storageState });

  test("sees connections without buttons that would fail", async ({ page, createConnection, expectAccessible }) => {
    const c = await createConnection();
    await page.goto(connectionPath());
    await page.getByRole("searchbox", { name: "Search" }).fill(c.name);
    await expect(page.getByRole("link", { name: c.name })).toBeVisible();
    await expect(page.getByRole("link", { name: "New connection" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: /Actions for/ })).toHaveCount(0);

    await page.getByRole("link", { name: c.name }).click();
    await expect(page.getByRole("heading", { level: 1, name: c.name })).toBeVisible();
    await expect(page.getByText("Read-only")).toBeVisible();
    for (const name of ["Edit", "Deactivate", "Delete"]) await expect(page.getByRole("button", { name, exact: true })).toHaveCount(0);
    await expect(page.getByRole("link", { name: "Edit", exact: true })).toHaveCount(0);
    // Copying the ID and testing are fine for members.
    await expect(page.getByRole("button", { name: "Copy connection ID" })).toBeVisible();
    await expectAccessible(page, "member view");

    // A direct visit to the edit page goes back to the connection.
    await page.goto(connectionPath(`${c.id}/edit`));
    await expect(page).toHaveURL(new RegExp(`${connectionPath(c.id)}$`));
  });
});
