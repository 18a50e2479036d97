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

  test("a concurrent edit (412) is explained with what the other person changed, never overwritten, and can be discarded", async ({
    page,
    createConnection,
    adminApi,
  }) => {
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
    await expect(conflict.getByRole("list", { name: "Changes by the other person" })).toContainText(
      "Description: “Created by the e2e suite” → “their edit”",
    );
    await expect(conflict).toContainText("admin@example.com saved version 2");
    await page.screenshot({ path: screenshotPath("edit-conflict") });
    await conflict.getByRole("button", { name: "Discard my changes and load the latest version" }).click();
    await expect(page.getByRole("textbox", { name: "Description (optional)" })).toHaveValue("their edit");
    await expect(conflict).toBeHidden();

    const after = await (await adminApi.get(`/api/orgs/${ORG}/oidc-connections/${c.id}`)).json();
    expect(after.description).toBe("their edit");
  });

  test("after a concurrent edit, the draft is re-applied on top of the latest version and saved (issue #10, item 8)", async ({
    page,
    createConnection,
    adminApi,
  }) => {
    const c = await createConnection();
    await page.goto(connectionPath(`${c.id}/edit`));
    await page.getByRole("textbox", { name: "Name" }).fill(`${c.name} (mine)`);
    await page
      .getByRole("group", { name: /^Ruleset 1/ })
      .getByRole("button", { name: "Full access" })
      .click();

    // Someone else changes the description and the ruleset's subject meanwhile.
    const theirs = await adminApi.patch(`/api/orgs/${ORG}/oidc-connections/${c.id}`, {
      data: {
        description: "their edit",
        rulesets: c.rulesets.map(({ id, label, resources, scopes }) => ({
          id,
          label,
          resources,
          scopes,
          subject: `repo:${ORG}/api:ref:refs/heads/release`,
        })),
      },
      headers: { "If-Match": `"${c.version}"` },
    });
    expect(theirs.status(), await theirs.text()).toBe(200);

    await page.getByRole("button", { name: "Save changes" }).click();
    const conflict = page.getByRole("alert").filter({ hasText: "Someone else changed this connection" });
    const changes = conflict.getByRole("list", { name: "Changes by the other person" });
    await expect(changes).toContainText("their edit");
    await expect(changes).toContainText("Ruleset “main branch”: subject changed");
    await conflict.getByRole("button", { name: "Re-apply my changes to the latest version" }).click();
    await expect(conflict).toBeHidden();
    await expect(page.getByText("Your changes are now on version 2")).toBeVisible();
    await expect(page.getByRole("textbox", { name: "Name" })).toHaveValue(`${c.name} (mine)`);
    await expect(page.getByRole("textbox", { name: "Description (optional)" })).toHaveValue("their edit");
    await expect(page.getByRole("textbox", { name: "Subject claim pattern" })).toHaveValue(`repo:${ORG}/api:ref:refs/heads/release`);

    await page.getByRole("button", { name: "Save changes" }).click();
    await expect(page.getByRole("heading", { level: 1, name: `${c.name} (mine)` })).toBeVisible();
    const after = await (await adminApi.get(`/api/orgs/${ORG}/oidc-connections/${c.id}`)).json();
    expect(after).toMatchObject({ version: 3, name: `${c.name} (mine)`, description: "their edit" });
    expect(after.rulesets[0]).toMatchObject({
      id: c.rulesets[0]?.id,
      subject: `repo:${ORG}/api:ref:refs/heads/release`,
      scopes: ["pull", "push", "delete"],
    });
  });

  test("warnings: repeated advice said once, the org's owner ID, a one-click immutable form (issue #10, item 7)", async ({
    page,
    createConnection,
    expectAccessible,
  }) => {
    const c = await createConnection({
      rulesets: ["api", "web", "docs"].map((repo) => ({
        label: repo,
        subject: `repo:${ORG}/${repo}:ref:refs/heads/main`,
        resources: [`${ORG}/${repo}`],
        scopes: ["pull"] as ("pull" | "push" | "delete")[],
      })),
    });
    await page.goto(connectionPath(c.id));
    const shared = page.getByRole("list", { name: "Warnings for several rulesets" });
    await expect(shared.getByRole("listitem")).toHaveCount(1);
    await expect(shared).toContainText("Name-only subject — rulesets “api”, “web”, “docs”.");
    await expect(page.getByRole("region", { name: "Ruleset 2: web" }).getByRole("list", { name: "Warnings" })).toContainText(
      "see the note above the rulesets",
    );
    await expectAccessible(page, "overview with grouped warnings");
    await page.getByRole("heading", { level: 2, name: "Rulesets" }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath("warnings-grouped") });

    await page.goto(connectionPath(`${c.id}/edit`));
    const web = page.getByRole("group", { name: "Ruleset 2: web" });
    await web.getByRole("button", { name: "Remove Ruleset 2: web" }).click();
    await page.getByRole("group", { name: "Ruleset 2: docs" }).getByRole("button", { name: "Remove Ruleset 2: docs" }).click();
    const api = page.getByRole("group", { name: "Ruleset 1: api" });
    const warnings = api.getByRole("list", { name: "Warnings for Ruleset 1: api" });
    await expect(warnings).toContainText(`repo:${ORG}@1234567/…`);
    await expect(warnings).not.toContainText("<owner-id>");
    await warnings.getByRole("button", { name: "Use the immutable form" }).click();
    await expect(api.getByRole("textbox", { name: "Subject claim pattern" })).toHaveValue(`repo:${ORG}@1234567/api@*:ref:refs/heads/main`);
    await expect(api.getByRole("list", { name: /Warnings/ })).toHaveCount(0);
    await page.getByRole("button", { name: "+ Add ruleset" }).click(); // (not saved: only for the picture below)
    await page
      .getByRole("group", { name: /^Ruleset 2/ })
      .getByRole("textbox", { name: "Subject claim pattern" })
      .fill(`repo:${ORG}/web:ref:refs/heads/main`);
    await page
      .getByRole("group", { name: /^Ruleset 2/ })
      .getByRole("list", { name: /Warnings/ })
      .screenshot({ path: screenshotPath("warning-immutable-fix") });
    await expectAccessible(page, "edit after the fix");
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
