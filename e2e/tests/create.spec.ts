import { connectionPath, expect, test, uniqueName } from "../fixtures";
import { ORG } from "../support/env";

test.describe("creating a connection", () => {
  test.use({ permissions: ["clipboard-read", "clipboard-write"] });

  test("walks the form with live preview, lints and validation, reviews, creates, and copies the ID and snippet", async ({
    page,
    trackConnection,
    expectAccessible,
  }) => {
    const name = uniqueName("Publish from main");
    await page.goto(connectionPath());
    await page.getByRole("link", { name: "New connection" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "New OIDC connection" })).toBeVisible();

    // A brand-new form warns of nothing before a subject is typed (issue #10, item 7).
    await expect(page.getByRole("list", { name: /Warnings/ })).toHaveCount(0);
    await expect(page.getByText(/cannot match/)).toHaveCount(0);

    // Next with an empty name: the shared schema's message shows at the field.
    await page.getByRole("button", { name: "Next: review" }).click();
    await expect(page.getByRole("textbox", { name: "Name" })).toHaveAccessibleDescription(/Enter a name/);

    await page.getByRole("textbox", { name: "Name" }).fill(name);
    await page.getByLabel("Description (optional)").fill("Pushes images built on main");

    const ruleset = page.getByRole("group", { name: /Ruleset 1/ });
    const subject = ruleset.getByRole("textbox", { name: "Subject claim pattern" });

    // Validates as you type.
    await subject.fill("octo-org/api");
    await expect(subject).toHaveAccessibleDescription(/Must start with repo:/);

    // Lints as warnings, with what to write instead.
    await subject.fill(`repo:${ORG}/api:*`);
    await expect(ruleset.getByRole("list", { name: /Warnings/ })).toContainText("Pull-request jobs");

    // Live preview computed in the browser.
    await subject.fill(`repo:${ORG}/api:ref:refs/heads/main`);
    const preview = ruleset.getByRole("region", { name: "Live preview" });
    await expect(preview).toContainText("1 of 5 example jobs");
    await expect(preview.getByRole("listitem").filter({ hasText: "Branch main" })).toContainText("matches");
    await expect(preview.getByRole("listitem").filter({ hasText: "Pull request" })).toContainText("does not match");
    await expect(ruleset.getByRole("list", { name: /Warnings/ })).toContainText("immutable");

    // The immutable-ID form matches the immutable example.
    await ruleset.getByRole("button", { name: "main branch (immutable IDs)" }).click();
    await expect(subject).toHaveValue(`repo:${ORG}@1234567/api@*:ref:refs/heads/main`);
    await expect(preview.getByRole("listitem").filter({ hasText: "Immutable IDs" })).toContainText("matches");

    await ruleset.getByRole("checkbox", { name: `${ORG}/api` }).check();
    await ruleset.getByRole("checkbox", { name: `${ORG}/worker` }).check();
    await ruleset.getByRole("button", { name: "Read & write" }).click();
    await expect(ruleset.getByRole("checkbox", { name: /push/ })).toBeChecked();

    await expectAccessible(page, "create form");

    await page.getByRole("button", { name: "Next: review" }).click();
    await expect(page.getByText("2. Review and create")).toHaveAttribute("aria-current", "step");
    await expect(page.getByText(name)).toBeVisible();
    await expect(page.getByText(`repo:${ORG}@1234567/api@*:ref:refs/heads/main`)).toBeVisible();
    await page.getByRole("button", { name: "Confirm and create" }).click();

    await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
    await expect(page.getByText("Connection created")).toBeVisible();
    const id = (await page.getByTestId("connection-id").textContent()) ?? "";
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    trackConnection(id);
    await expect(page).toHaveURL(new RegExp(`${connectionPath(id)}`));

    await page.getByRole("button", { name: "Copy connection ID" }).click();
    await expect(page.getByRole("button", { name: "Copy connection ID: copied" })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(id);

    await page.getByRole("button", { name: "Copy workflow snippet" }).click();
    const snippet = await page.evaluate(() => navigator.clipboard.readText());
    expect(snippet).toContain("id-token: write");
    expect(snippet).toContain(`connection_id: ${id}`);
    expect(snippet).toContain("docker login");
  });

  test("allows at most five rulesets, and reorders and removes them", async ({ page }) => {
    await page.goto(connectionPath("new"));
    const add = page.getByRole("button", { name: "+ Add ruleset" });
    for (let i = 2; i <= 5; i++) {
      await add.click();
      await expect(page.getByRole("group", { name: new RegExp(`^Ruleset ${i}`) })).toBeVisible();
    }
    await expect(add).toBeDisabled();
    await expect(page.getByText("A connection can have at most 5 rulesets.")).toBeVisible();

    await page
      .getByRole("group", { name: /^Ruleset 2/ })
      .getByRole("textbox", { name: "Label" })
      .fill("second");
    await page.getByRole("button", { name: "Move Ruleset 2: second up" }).click();
    await expect(page.getByRole("group", { name: "Ruleset 1: second" })).toBeVisible();
    await page.getByRole("button", { name: "Remove Ruleset 1: second" }).click();
    await expect(page.getByRole("group", { name: /second/ })).toHaveCount(0);
    await expect(add).toBeEnabled();
  });

  test("shows the server's answer beside the field: a taken name", async ({ page, createConnection }) => {
    const existing = await createConnection();
    await page.goto(connectionPath("new"));
    await page.getByRole("textbox", { name: "Name" }).fill(existing.name);
    const ruleset = page.getByRole("group", { name: /Ruleset 1/ });
    await ruleset.getByRole("textbox", { name: "Subject claim pattern" }).fill(`repo:${ORG}/web:environment:production`);
    await ruleset.getByRole("checkbox", { name: `${ORG}/web` }).check();
    await page.getByRole("button", { name: "Next: review" }).click();
    await page.getByRole("button", { name: "Confirm and create" }).click();
    await expect(page.getByRole("textbox", { name: "Name" })).toHaveAccessibleDescription(/already used/);
    await expect(page.getByRole("textbox", { name: "Name" })).toBeFocused();
  });
});
