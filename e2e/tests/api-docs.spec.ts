import { expect, test } from "../fixtures";

test("the API reference page renders the OpenAPI document under the app's CSP", async ({ page, expectAccessible }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.goto("/api/docs");
  await expect(page.getByRole("heading", { level: 1, name: "OIDC Connections API" })).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: "API tokens" })).toBeVisible();
  const create = page.locator("details").filter({ hasText: "Create an API token" });
  await create.locator("summary").click();
  await expect(create.getByText('"expiresInDays"')).toBeVisible();
  await expect(create.getByText("Auth: cookieAuth or apiToken")).toBeVisible();
  expect(errors).toEqual([]);
  await expectAccessible(page, "API reference");
});
