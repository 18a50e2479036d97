import { expect, paths, test } from "../fixtures";
import { ORG, PASSWORD, screenshotPath } from "../support/env";

test.describe("signing in and out", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("wrong credentials give a clear error; a deep link returns after sign-in; sign out ends the session", async ({
    page,
    expectAccessible,
  }) => {
    const deepLink = `${paths.connections(ORG)}?status=inactive`;
    await page.goto(deepLink);
    await expect(page).toHaveURL(/\/sign-in\?next=/);
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await expectAccessible(page, "sign-in page");

    // Client-side validation from the shared schema.
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByText("Enter an email address")).toBeVisible();

    await page.getByLabel("Email").fill("admin@example.com");
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toContainText("Wrong email or password");
    await page.screenshot({ path: screenshotPath("sign-in-error") });

    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(deepLink);
    await expect(page.getByLabel("Status")).toHaveValue("inactive");

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    await page.goto(paths.connections(ORG));
    await expect(page).toHaveURL(/\/sign-in\?next=/);
  });
});
