import { connectionPath, expect, test } from "../fixtures";
import { BASE_URL, ORG, screenshotPath, USERS } from "../support/env";

function fakeJwt(claims: Record<string, unknown>) {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "RS256", typ: "JWT" })}.${b64(claims)}.c2ln`;
}

test.describe("the Test tab", () => {
  test("evaluates claims JSON, a subject and a pasted ID token against the saved rulesets", async ({
    page,
    createConnection,
    expectAccessible,
  }) => {
    const c = await createConnection({
      rulesets: [
        { label: "main", subject: `repo:${ORG}/api:ref:refs/heads/main`, resources: [`${ORG}/api`], scopes: ["pull", "push"] },
        {
          label: "any api job",
          subject: `repo:${ORG}/api:*`,
          conditions: [{ claim: "environment", pattern: "prod*" }],
          resources: [`${ORG}/api`, `${ORG}/web`],
          scopes: ["pull"],
        },
      ],
    });
    await page.goto(connectionPath(`${c.id}/test`));
    const input = page.getByRole("textbox", { name: "Claims JSON, subject or ID token" });
    const result = page.getByRole("region", { name: "Result" });

    await input.fill(JSON.stringify({ sub: `repo:${ORG}/api:ref:refs/heads/main`, environment: "production" }));
    await expect(page.getByText("Detected: Claims JSON")).toBeVisible();
    await page.getByRole("button", { name: "Run test" }).click();
    await expect(result).toContainText("Allowed");
    await expect(result.getByRole("listitem").filter({ hasText: "any api job" })).toContainText("matches");
    await expect(result.getByRole("row").filter({ hasText: `${ORG}/api` })).toContainText("pull, push");
    await expect(result.getByRole("row").filter({ hasText: `${ORG}/web` })).toContainText("pull");
    await expectAccessible(page, "test tab");

    await input.fill(`repo:${ORG}/web:ref:refs/heads/main`);
    await page.getByRole("button", { name: "Run test" }).click();
    await expect(result).toContainText("Denied");

    await input.fill(fakeJwt({ sub: `repo:${ORG}/api:ref:refs/heads/main`, iss: "https://token.actions.githubusercontent.com" }));
    await expect(page.getByText(/Detected: An ID token/)).toBeVisible();
    await page.getByRole("button", { name: "Run test" }).click();
    await expect(result).toContainText("Allowed");
    await expect(result.getByRole("listitem").filter({ hasText: "any api job" })).toContainText("does not match");

    await input.fill("{not json");
    await page.getByRole("button", { name: "Run test" }).click();
    await expect(input).toHaveAccessibleDescription(/Not valid JSON/);
  });

  test("mints a token with the development issuer, exchanges it, and Activity shows the exchange", async ({ page, createConnection }) => {
    const c = await createConnection({ issuer: `${BASE_URL}/dev-issuer` });
    await page.goto(connectionPath(`${c.id}/test`));
    const mint = page.getByRole("button", { name: "Mint a sample token and exchange it" });
    await expect(mint).toBeVisible();
    await page
      .getByRole("textbox", { name: "Claims JSON, subject or ID token" })
      .fill(
        JSON.stringify({ sub: `repo:${ORG}/api:ref:refs/heads/main`, repository: `${ORG}/api`, ref: "refs/heads/main", workflow: "build" }),
      );
    await mint.click();
    await expect(page.getByText("Exchange succeeded")).toBeVisible();
    await expect(page.getByText(`repository:${ORG}/api:pull,push`)).toBeVisible();

    await page.getByRole("link", { name: "Activity" }).click();
    // The exchange, and (its repository's first token on this connection, SPEC §12) the first use.
    const activity = page.getByRole("list", { name: "Activity" }).getByRole("listitem");
    await expect(activity.filter({ hasText: "Token exchanged" })).toHaveCount(1);
    await expect(activity.first()).toContainText("First token for a repository");
  });

  test("a subject is tested with the claims its job carries, shown and editable, and agrees with a real exchange (issue #10, item 1)", async ({
    page,
    createConnection,
    expectAccessible,
  }) => {
    const c = await createConnection({
      issuer: `${BASE_URL}/dev-issuer`,
      rulesets: [
        { label: "main", subject: `repo:${ORG}/api:ref:refs/heads/main`, resources: [`${ORG}/api`], scopes: ["pull"] },
        {
          label: "production",
          subject: `repo:${ORG}/web:*`,
          conditions: [{ claim: "environment", pattern: "production" }],
          resources: [`${ORG}/web`],
          scopes: ["pull", "push"],
        },
      ],
    });
    await page.goto(connectionPath(`${c.id}/test`));
    const input = page.getByRole("textbox", { name: "Claims JSON, subject or ID token" });
    const result = page.getByRole("region", { name: "Result" });
    await input.fill(`repo:${ORG}/web:environment:production`);
    const derived = page.getByRole("region", { name: "Claims of a job with this subject" });
    await expect(derived).toContainText("environment");
    await expect(derived).toContainText("production");
    await expect(derived).toContainText(`${ORG}/web`);
    await expect(derived).toContainText("1234567"); // the org's owner ID
    await page.getByRole("button", { name: "Run test" }).click();
    await expect(result.getByText("Allowed", { exact: true })).toBeVisible();
    await expect(result.getByRole("listitem").filter({ hasText: "production" })).toContainText("matches");
    await expect(result.getByRole("row").filter({ hasText: `${ORG}/web` })).toContainText("pull, push");
    await expectAccessible(page, "test tab with derived claims");
    await page.screenshot({ path: screenshotPath("connection-test-subject"), fullPage: true });

    // The real exchange with the same subject grants the same.
    await page.getByRole("button", { name: "Mint a sample token and exchange it" }).click();
    await expect(page.getByText("Exchange succeeded")).toBeVisible();
    await expect(page.getByText(`repository:${ORG}/web:pull,push`)).toBeVisible();

    // Edit the claims: another environment is denied, and the closest miss says why (item 3).
    await page.getByRole("button", { name: "Edit these claims" }).click();
    await expect(page.getByText("Detected: Claims JSON")).toBeVisible();
    await expect(input).toBeFocused();
    await input.fill((await input.inputValue()).replace('"environment": "production"', '"environment": "staging"'));
    await page.getByRole("button", { name: "Run test" }).click();
    await expect(result.getByText("Denied", { exact: true })).toBeVisible();
    await expect(result).toContainText("Closest ruleset: “production”: condition environment = production failed; the token had staging");
    await expectAccessible(page, "test tab denial");
    await result.screenshot({ path: screenshotPath("connection-test-denied") });
  });

  test("an inactive connection is denied on the Test tab, and says why (issue #10, item 2)", async ({
    page,
    createConnection,
    adminApi,
  }) => {
    const c = await createConnection();
    expect((await adminApi.post(`/api/orgs/${ORG}/oidc-connections/${c.id}/deactivate`)).status()).toBe(200);
    await page.goto(connectionPath(`${c.id}/test`));
    await page.getByRole("textbox", { name: "Claims JSON, subject or ID token" }).fill(`repo:${ORG}/api:ref:refs/heads/main`);
    await page.getByRole("button", { name: "Run test" }).click();
    const result = page.getByRole("region", { name: "Result" });
    await expect(result.getByText("Denied: the connection is inactive")).toBeVisible();
    await expect(result).toContainText("until an owner activates it");
    await expect(result.getByRole("listitem").filter({ hasText: "main branch" })).toContainText("matches (but the connection is inactive)");
    await expect(result.getByRole("table")).toHaveCount(0);
  });
});

test.describe("the Test tab for a member (issue #10, item 9)", () => {
  test.use({ storageState: USERS.viewer.storageState });

  test("a member may dry-run but not mint a token", async ({ page, createConnection }) => {
    const c = await createConnection({ issuer: `${BASE_URL}/dev-issuer` });
    await page.goto(connectionPath(`${c.id}/test`));
    await page.getByRole("textbox", { name: "Claims JSON, subject or ID token" }).fill(`repo:${ORG}/api:ref:refs/heads/main`);
    await page.getByRole("button", { name: "Run test" }).click();
    await expect(page.getByRole("region", { name: "Result" }).getByText("Allowed", { exact: true })).toBeVisible();
    await expect(page.getByRole("button", { name: "Mint a sample token and exchange it" })).toHaveCount(0);
    await expect(page.getByText("Only organisation owners can mint a sample token")).toBeVisible();
  });
});
