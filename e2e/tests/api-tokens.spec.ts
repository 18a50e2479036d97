import { request } from "@playwright/test";
import { connectionPath, defaultConnection, expect, paths, test, uniqueName } from "../fixtures";
import { BASE_URL, ORG, USERS } from "../support/env";

const tokensPath = paths.apiTokens(ORG);
const tokensApi = `/api/orgs/${ORG}/api-tokens`;

test.describe("API tokens page", () => {
  test.use({ permissions: ["clipboard-read", "clipboard-write"] });

  test("an owner creates a token, copies it once, sees its use, and revokes it", async ({ page, expectAccessible }) => {
    await page.goto(paths.connections(ORG));
    await page.getByRole("navigation", { name: "Organisation settings" }).getByRole("link", { name: "API tokens" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "API tokens" })).toBeVisible();

    const name = uniqueName("ci token");
    await page.getByRole("button", { name: "Create token" }).click();
    const dialog = page.getByRole("dialog", { name: "Create an API token" });
    await dialog.getByLabel("Name").fill(name);
    await dialog.getByLabel("Role").selectOption("owner");
    await dialog.getByLabel("Expires after").selectOption("30");
    await dialog.getByRole("button", { name: "Create token" }).click();

    const shown = page.getByRole("dialog", { name: `Token “${name}” created` });
    await expect(shown.getByText("Copy the token now")).toBeVisible();
    await expect(shown.getByText(/only time it is shown/)).toBeVisible();
    const token = (await shown.locator("code").textContent()) ?? "";
    expect(token).toMatch(/^oidcc_[A-Za-z0-9_-]{43}$/);
    await shown.getByRole("button", { name: "Copy the token" }).click();
    await expect(shown.getByRole("button", { name: "Copy the token: copied" })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await expectAccessible(page, "token created dialog");
    await shown.getByRole("button", { name: "Done" }).click();
    await expect(page.getByText(token)).toHaveCount(0);

    const row = page.getByRole("row").filter({ hasText: name });
    await expect(row).toContainText("Owner");
    await expect(row.getByRole("cell").nth(2)).toHaveText("Never");

    // A script uses it: no cookie, no Origin, only the token.
    const script = await request.newContext({ baseURL: BASE_URL, extraHTTPHeaders: { Authorization: `Bearer ${token}` } });
    expect((await script.get(`/api/orgs/${ORG}/oidc-connections`)).status()).toBe(200);
    await page.reload();
    await expect(row.getByRole("cell").nth(2)).not.toHaveText("Never");
    await expectAccessible(page, "API tokens list");

    // A change made with the token is named after it in the connection's Activity.
    const made = await script.post(`/api/orgs/${ORG}/oidc-connections`, { data: defaultConnection(uniqueName("by token")) });
    expect(made.status()).toBe(201);
    const { id: connectionId } = (await made.json()) as { id: string };
    await page.goto(connectionPath(`${connectionId}/activity`));
    await expect(page.getByRole("list", { name: "Activity" }).getByText(`by API token ${name}`)).toBeVisible();
    expect((await script.delete(`/api/orgs/${ORG}/oidc-connections/${connectionId}`)).status()).toBe(204);
    await page.goto(tokensPath);

    // Revoke, after a confirmation.
    await row.getByRole("button", { name: `Revoke ${name}` }).click();
    const confirm = page.getByRole("dialog", { name: `Revoke “${name}”?` });
    await expect(confirm).toContainText("refused from now on");
    await confirm.getByRole("button", { name: "Revoke token" }).click();
    await expect(page.getByText(`Revoked “${name}”`)).toBeVisible();
    await expect(page.getByRole("row").filter({ hasText: name })).toHaveCount(0);
    expect((await script.get(`/api/orgs/${ORG}/oidc-connections`)).status()).toBe(401);
    await script.dispose();
  });

  test("a create with an empty name shows the field's error and creates nothing", async ({ page }) => {
    await page.goto(tokensPath);
    await page.getByRole("button", { name: "Create token" }).click();
    const dialog = page.getByRole("dialog", { name: "Create an API token" });
    await dialog.getByRole("button", { name: "Create token" }).click();
    await expect(dialog.getByText("Enter a name")).toBeVisible();
    await expect(dialog.getByLabel("Name")).toHaveAttribute("aria-invalid", "true");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
  });
});

test.describe("API tokens for a member", () => {
  test.use({ storageState: USERS.viewer.storageState });

  test("sees the list read-only", async ({ page, adminApi, expectAccessible }) => {
    const name = uniqueName("read me");
    const res = await adminApi.post(tokensApi, { data: { name, role: "member" } });
    expect(res.status()).toBe(201);
    const { id } = (await res.json()) as { id: string };
    try {
      await page.goto(tokensPath);
      const row = page.getByRole("row").filter({ hasText: name });
      await expect(row).toContainText("Member (read only)");
      await expect(page.getByRole("button", { name: "Create token" })).toHaveCount(0);
      await expect(page.getByRole("button", { name: /^Revoke/ })).toHaveCount(0);
      await expectAccessible(page, "API tokens, member");
    } finally {
      expect((await adminApi.delete(`${tokensApi}/${id}`)).status()).toBe(204);
    }
  });
});
