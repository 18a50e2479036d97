import { connectionPath, expect, test } from "../fixtures";
import { ORG, screenshotPath } from "../support/env";

test.describe("editing a connection", () => {
  test("renames, adds a ruleset and changes scopes; Activity says what changed", async ({ page, createConnection }) => {
    const c = await createConnection();
    await page.goto(connectionPath(c.id));
    await page.getByRole("link", { name: "Edit" }).click();
    const name = page.getByRole("textbox", { name: "Name" });
    await expect(name).toHaveValue(c.name);
    await name.fill(`${c.name} renamed`);

    await page.getByRole("button", { name: "+ Add ruleset" }).click();
    const second = page.getByRole("group", { name: /^Ruleset 2/ });
    await second.getByRole("textbox", { name: "Label" }).fill("release tags");
    await second.getByRole("textbox", { name: "Subject claim pattern" }).fill(`repo:${ORG}/api:ref:refs/tags/v*`);
    await second.getByRole("checkbox", { name: `${ORG}/api` }).check();
    await page
      .getByRole("group", { name: /^Ruleset 1/ })
      .getByRole("button", { name: "Full access" })
      .click();

    await page.getByRole("button", { name: "Save changes" }).click();
    await expect(page.getByRole("heading", { level: 1, name: `${c.name} renamed` })).toBeVisible();
    await expect(page.getByRole("region", { name: "Ruleset 2: release tags" })).toBeVisible();

    await page.getByRole("link", { name: "Activity" }).click();
    const updated = page.getByRole("list", { name: "Activity" }).getByRole("listitem").first();
    await expect(updated).toContainText("Connection updated");
    await expect(updated).toContainText("Rulesets added");
    await expect(updated).toContainText("release tags");
    await expect(updated).toContainText(`${c.name} renamed`);
  });

  test("a concurrent edit (412) is explained, with a reload, never overwritten", async ({ page, createConnection, adminApi }) => {
    const c = await createConnection();
    await page.goto(connectionPath(`${c.id}/edit`));
    await page.getByRole("textbox", { name: "Description (optional)" }).fill("my edit");

    // Someone else saves in the meantime.
    const res = await adminApi.patch(`/api/orgs/${ORG}/oidc-connections/${c.id}`, {
      data: { description: "their edit" },
      headers: { "If-Match": `"${c.version}"` },
    });
    expect(res.status()).toBe(200);

    await page.getByRole("button", { name: "Save changes" }).click();
    const conflict = page.getByRole("alert").filter({ hasText: "Someone else changed this connection" });
    await expect(conflict).toBeVisible();
    await expect(conflict).toBeFocused();
    await page.screenshot({ path: screenshotPath("edit-conflict") });
    await conflict.getByRole("button", { name: "Reload latest version" }).click();
    await expect(page.getByRole("textbox", { name: "Description (optional)" })).toHaveValue("their edit");
    await expect(conflict).toBeHidden();

    const after = await (await adminApi.get(`/api/orgs/${ORG}/oidc-connections/${c.id}`)).json();
    expect(after.description).toBe("their edit");
  });

  test("asks before leaving with unsaved changes", async ({ page, createConnection }) => {
    const c = await createConnection();
    await page.goto(connectionPath(`${c.id}/edit`));
    await page.getByRole("textbox", { name: "Name" }).fill("unsaved");
    await page.getByRole("link", { name: "OIDC connections" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Discard unsaved changes?" });
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "Keep editing" }).click();
    await expect(page.getByRole("textbox", { name: "Name" })).toHaveValue("unsaved");
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Discard changes" }).click();
    await expect(page.getByRole("heading", { level: 1, name: c.name })).toBeVisible();
  });
});
