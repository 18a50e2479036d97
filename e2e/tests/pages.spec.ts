import type { Page } from "@playwright/test";
import { connectionPath, expect, test, uniqueName } from "../fixtures";
import { BASE_URL, ORG, screenshotPath } from "../support/env";

async function expectNoHorizontalScroll(page: Page) {
  const wide = await page.evaluate(() => {
    const limit = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= limit) return [];
    return Array.from(document.querySelectorAll("body *"))
      .filter((el) => el.getBoundingClientRect().right > limit + 1)
      .slice(-5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${(el.textContent ?? "").slice(0, 60)}`);
  });
  expect(wide, "elements wider than the viewport").toEqual([]);
}

// Every main page: axe (no serious or critical violations) at desktop and phone width, and a screenshot for the docs.
test.describe("main pages", () => {
  test("are accessible and fit from phones to desktops", async ({ page, createConnection, adminApi, exchange, expectAccessible }) => {
    test.setTimeout(60_000);
    const c = await createConnection({
      name: uniqueName("Publish images"),
      description: "Builds on main push images; release tags publish versions",
      issuer: `${BASE_URL}/dev-issuer`,
      rulesets: [
        {
          label: "main branch",
          subject: `repo:${ORG}@1234567/api@*:ref:refs/heads/main`,
          resources: [`${ORG}/api`, `${ORG}/worker`],
          scopes: ["pull", "push"],
        },
        {
          label: "any job (too broad)",
          subject: `repo:${ORG}/api:*`,
          conditions: [{ claim: "repository_owner_id", pattern: "1234567" }],
          resources: [`${ORG}/api`],
          scopes: ["pull"],
        },
      ],
    });
    const ok = await exchange(c.id, {
      sub: `repo:${ORG}/api:ref:refs/heads/main`,
      repository: `${ORG}/api`,
      repository_owner_id: "1234567",
      ref: "refs/heads/main",
      workflow: "build",
    });
    expect(ok.status(), await ok.text()).toBe(200);
    const denied = await exchange(c.id, { sub: `repo:${ORG}/web:ref:refs/heads/main`, repository: `${ORG}/web` });
    expect(denied.status()).toBe(400);
    await adminApi.patch(`/api/orgs/${ORG}/oidc-connections/${c.id}`, {
      data: { maxTokenTtlSeconds: 900 },
      headers: { "If-Match": `"${c.version}"` },
    });

    for (const [width, height, suffix] of [
      [1280, 900, ""],
      [360, 780, "-mobile"],
    ] as const) {
      await page.setViewportSize({ width, height });

      await page.goto(connectionPath());
      await expect(page.getByRole("table", { name: "OIDC connections" })).toBeVisible();
      await expectAccessible(page, `list ${width}px`);
      await expectNoHorizontalScroll(page);
      await page.screenshot({ path: screenshotPath(`connections-list${suffix}`) });

      await page.goto(connectionPath(c.id));
      await expect(page.getByRole("heading", { level: 1, name: c.name })).toBeVisible();
      await expectAccessible(page, `overview ${width}px`);
      await expectNoHorizontalScroll(page);
      await page.screenshot({ path: screenshotPath(`connection-overview${suffix}`), fullPage: suffix === "" });

      await page.getByRole("link", { name: "Activity" }).click();
      await expect(page.getByRole("list", { name: "Activity" })).toContainText("Token exchange denied");
      await expect(page.getByRole("list", { name: "Activity" })).toContainText("Token exchanged");
      await expectAccessible(page, `activity ${width}px`);
      await expectNoHorizontalScroll(page);
      await page.screenshot({ path: screenshotPath(`connection-activity${suffix}`), fullPage: suffix === "" });

      await page.getByRole("link", { name: "Test" }).click();
      await page.getByRole("button", { name: "Fill in example claims" }).click();
      await page.getByRole("button", { name: "Run test" }).click();
      await expect(page.getByRole("region", { name: "Result" })).toBeVisible();
      await expectAccessible(page, `test ${width}px`);
      await expectNoHorizontalScroll(page);
      await page.screenshot({ path: screenshotPath(`connection-test${suffix}`), fullPage: suffix === "" });
      // A subject: its job's derived claims, and a denial's closest ruleset.
      await page.getByRole("textbox", { name: "Claims JSON, subject or ID token" }).fill(`repo:${ORG}/web:environment:production`);
      await expect(page.getByRole("region", { name: "Claims of a job with this subject" })).toBeVisible();
      await page.getByRole("button", { name: "Run test" }).click();
      await expect(page.getByRole("region", { name: "Result" })).toContainText("Closest ruleset");
      await expectAccessible(page, `test with a subject ${width}px`);
      await expectNoHorizontalScroll(page);

      await page.goto(connectionPath("00000000-0000-4000-8000-000000000000"));
      await expect(page.getByRole("heading", { level: 1, name: "Connection not found" })).toBeVisible();
      await expectAccessible(page, `not found ${width}px`);
      await expectNoHorizontalScroll(page);

      await page.goto(connectionPath(`${c.id}/edit`));
      await expect(page.getByRole("textbox", { name: "Name" })).toHaveValue(c.name);
      await expectAccessible(page, `edit ${width}px`);
      await expectNoHorizontalScroll(page);

      await page.goto(connectionPath("new"));
      await page.getByRole("textbox", { name: "Name" }).fill("Deploy from production");
      await page.getByRole("textbox", { name: "Subject claim pattern" }).fill(`repo:${ORG}/web:*`);
      await page.getByRole("checkbox", { name: `${ORG}/web` }).check();
      await expect(page.getByRole("region", { name: "Live preview" })).toBeVisible();
      await expectAccessible(page, `create ${width}px`);
      await expectNoHorizontalScroll(page);
      await page.screenshot({ path: screenshotPath(`connection-create${suffix}`), fullPage: suffix === "" });
      await page.getByRole("button", { name: "Next: review" }).click();
      await expect(page.getByRole("button", { name: "Confirm and create" })).toBeVisible();
      await expectAccessible(page, `review ${width}px`);
      if (suffix === "") await page.screenshot({ path: screenshotPath("connection-review"), fullPage: true });
      // Leave without creating: the unsaved-changes guard asks first.
      await page.getByRole("link", { name: "OIDC connections" }).first().click();
      await page.getByRole("dialog").getByRole("button", { name: "Discard changes" }).click();
    }
  });
});
