import { expect, test as setup } from "@playwright/test";
import { paths } from "../../apps/console/src/lib/paths";
import { ORG, PASSWORD, screenshotPath, USERS } from "../support/env";

// Signs each role in once through the sign-in page and saves the session for the other tests.
for (const [role, user] of Object.entries(USERS)) {
  setup(`sign in as ${role}`, async ({ page }) => {
    await page.goto("/");
    await expect(page).toHaveURL(/\/sign-in/);
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(new RegExp(paths.connections(ORG)));
    await expect(page.getByRole("heading", { level: 1, name: "OIDC connections" })).toBeVisible();
    // The database is fresh: the empty state explains what a connection is.
    await expect(page.getByRole("heading", { name: "No OIDC connections yet" })).toBeVisible();
    if (role === "admin") {
      await expect(page.getByRole("link", { name: "Create your first connection" })).toBeVisible();
      await page.screenshot({ path: screenshotPath("empty-state") });
    }
    await page.context().storageState({ path: user.storageState });
  });
}
