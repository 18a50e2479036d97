import { createServer, type Server } from "node:http";
import { connectionPath, expect, paths, test } from "../fixtures";
import { BASE_URL, ORG, USERS } from "../support/env";

test.describe("Visibility (SPEC §12, issue #13)", () => {
  test("the overview charts exchanges and denials, with a text alternative, and highlights a new repository", async ({
    page,
    createConnection,
    exchange,
    expectAccessible,
  }) => {
    const c = await createConnection({ issuer: `${BASE_URL}/dev-issuer` });
    expect((await exchange(c.id, { sub: `repo:${ORG}/api:ref:refs/heads/main`, repository_id: "424242" })).status()).toBe(200);
    expect((await exchange(c.id, { sub: `repo:${ORG}/api:ref:refs/heads/dev` })).status()).toBe(400);

    await page.goto(connectionPath(c.id));
    const usage = page.getByRole("region", { name: "Usage" });
    const chart = usage.getByRole("img", { name: "Token exchanges and denials per day" });
    await expect(chart).toBeVisible();
    await expect(usage).toContainText("1 token exchange and 1 denial in the last 30 days");
    await expect(usage.getByRole("region", { name: "New repositories this week" })).toContainText(`${ORG}/api`);
    await usage.getByText("Show the numbers as a table").click();
    const today = new Date().toISOString().slice(0, 10);
    await expect(usage.getByRole("row", { name: new RegExp(`^${today} 1 1$`) })).toBeVisible();
    await expect(
      usage.getByRole("table", { name: /Rulesets in the last 30 days/ }).getByRole("row", { name: /^main branch 1 0/ }),
    ).toBeVisible();
    await usage.getByRole("combobox", { name: "Period" }).selectOption({ label: "Last 7 days" });
    await expect(usage).toContainText("in the last 7 days");
    await expectAccessible(page, "overview with usage");
  });

  test("organisation audit log (activity): filters live in the URL, deleted connections stay, exports download", async ({
    page,
    createConnection,
    adminApi,
    exchange,
    expectAccessible,
  }) => {
    const c = await createConnection({ issuer: `${BASE_URL}/dev-issuer` });
    expect((await exchange(c.id, { sub: `repo:${ORG}/other:ref:refs/heads/main` })).status()).toBe(400);
    expect((await adminApi.delete(`/api/orgs/${ORG}/oidc-connections/${c.id}`)).status()).toBe(204);

    await page.goto(connectionPath());
    await page.getByRole("navigation", { name: "Organisation settings" }).getByRole("link", { name: "Audit log" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
    const list = page.getByRole("list", { name: "Audit log" });
    await expect(list.getByRole("heading", { level: 2 }).first()).toBeVisible();

    await page.getByRole("combobox", { name: "Outcome" }).selectOption({ label: "Refused or failed" });
    await page.getByRole("combobox", { name: "Event type" }).selectOption({ label: "Token exchange denied" });
    await expect(page).toHaveURL(/outcome=failure/);
    await expect(page).toHaveURL(/type=token.denied/);
    await expect(list).toContainText(`deleted connection ${c.id.slice(0, 8)}`);

    // A shared link opens the same view.
    const shared = page.url();
    await page.goto("/");
    await page.goto(shared);
    await expect(page.getByRole("combobox", { name: "Event type" })).toHaveValue("token.denied");
    await expect(list.getByRole("heading", { level: 2, name: "Token exchange denied" }).first()).toBeVisible();

    const csv = page.getByRole("link", { name: "Export CSV" });
    await expect(csv).toHaveAttribute("href", /format=csv/);
    await expect(csv).toHaveAttribute("href", /type=token.denied/);
    const [download] = await Promise.all([page.waitForEvent("download"), csv.click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${ORG}-events-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
    await expectAccessible(page, "organisation activity");
  });

  test("Webhooks: an owner sets one up, copies the secret once, sends a test event and sees it delivered", async ({
    page,
    adminApi,
    expectAccessible,
  }) => {
    const hits: string[] = [];
    const receiver: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        hits.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const address = receiver.address();
    const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook`;
    try {
      await page.goto(connectionPath());
      await page.getByRole("navigation", { name: "Organisation settings" }).getByRole("link", { name: "Webhooks" }).click();
      await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
      await page.getByRole("textbox", { name: "URL" }).fill("not a url");
      await page.getByRole("button", { name: "Create webhook" }).click();
      await expect(page.getByText("Enter an http(s) URL")).toBeVisible();
      await page.getByRole("textbox", { name: "URL" }).fill(url);
      await page.getByRole("checkbox", { name: /Connection created/ }).check();
      await page.getByRole("button", { name: "Create webhook" }).click();
      await expect(page.getByText("Copy the signing secret now")).toBeVisible();
      await expect(page.getByTestId("webhook-secret")).toHaveText(/^whsec_/);
      await expectAccessible(page, "webhook created");
      await page.getByRole("button", { name: "I have stored it" }).click();
      await expect(page.getByText(/^whsec_/)).toHaveCount(0);

      await page.getByRole("button", { name: "Send test event" }).click();
      const row = page.getByRole("table", { name: "Recent deliveries" }).getByRole("row").filter({ hasText: "webhook.test" });
      await expect(row).toContainText("Delivered", { timeout: 15_000 });
      await expect(row).toContainText("204");
      expect(hits.some((h) => h.includes('"webhook.test"'))).toBe(true);
      await expectAccessible(page, "webhook deliveries");

      await page.getByRole("button", { name: "Remove webhook" }).click();
      await page.getByRole("dialog", { name: "Remove the webhook?" }).getByRole("button", { name: "Remove" }).click();
      await expect(page.getByRole("button", { name: "Create webhook" })).toBeVisible();
    } finally {
      await adminApi.delete(`/api/orgs/${ORG}/webhook`);
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});

test.describe("Visibility for a member (read-only)", () => {
  test.use({ storageState: USERS.viewer.storageState });

  test("sees the webhook and its deliveries without controls that would fail, and the audit log", async ({
    page,
    adminApi,
    expectAccessible,
  }) => {
    const put = await adminApi.put(`/api/orgs/${ORG}/webhook`, { data: { url: "http://127.0.0.1:9/hook", events: ["token.denied"] } });
    expect(put.status(), await put.text()).toBe(201);
    try {
      await page.goto(paths.webhooks(ORG));
      await expect(page.getByRole("textbox", { name: "URL" })).toHaveValue("http://127.0.0.1:9/hook");
      await expect(page.getByRole("textbox", { name: "URL" })).toBeDisabled();
      await expect(page.getByRole("checkbox", { name: /Token exchange denied/ })).toBeChecked();
      for (const name of ["Save changes", "Send test event", "Rotate secret", "Remove webhook"])
        await expect(page.getByRole("button", { name })).toHaveCount(0);
      // Deliveries of earlier webhooks of the org stay listed (history): a table or, in a fresh org, the empty state.
      await expect(
        page.getByRole("table", { name: "Recent deliveries" }).or(page.getByRole("heading", { name: "No deliveries yet" })),
      ).toBeVisible();
      await expectAccessible(page, "webhooks, member");

      await page.getByRole("navigation", { name: "Organisation settings" }).getByRole("link", { name: "Audit log" }).click();
      await page.getByRole("combobox", { name: "Event type" }).selectOption({ label: "Webhook created" });
      await expect(page.getByRole("list", { name: "Audit log" })).toContainText("Webhook created");
    } finally {
      await adminApi.delete(`/api/orgs/${ORG}/webhook`);
    }
  });
});
