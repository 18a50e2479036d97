import { connectionPath, expect, test } from "../fixtures";
import { BASE_URL, ORG } from "../support/env";

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
    await expect(page.getByRole("list", { name: "Activity" }).getByRole("listitem").first()).toContainText("Token exchanged");
  });
});
