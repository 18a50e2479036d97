import { request } from "@playwright/test";
import { connectionPath, expect, paths, test, uniqueName } from "../fixtures";
import { BASE_URL, ORG, PASSWORD, USERS } from "../support/env";

// SPEC §11 in the console: audit rulesets and one-click Enforce, expiry, the Policy page, the
// reusable-workflow preset. Policies are saved only in the second organisation (acme), so that the
// other specs, which run alongside in octo-org, never meet a policy.

const policyPath = paths.policy(ORG);

test("an audit ruleset shows what it would have matched and is enforced in one click", async ({
  page,
  createConnection,
  expectAccessible,
}) => {
  const expiresAt = new Date(Date.now() + 3 * 24 * 3600 * 1000).toISOString();
  const c = await createConnection({
    rulesets: [
      { label: "main branch", subject: `repo:${ORG}/api:ref:refs/heads/main`, resources: [`${ORG}/api`], scopes: ["pull"] },
      {
        label: "try release",
        subject: `repo:${ORG}/api:ref:refs/tags/v*`,
        resources: [`${ORG}/api`],
        scopes: ["pull", "push"],
        mode: "audit",
        expiresAt,
      } as never,
    ],
  });
  await page.goto(connectionPath(c.id));
  const audited = page.getByRole("region", { name: "Ruleset 2: try release" });
  await expect(audited.getByText("Audit", { exact: true })).toBeVisible();
  await expect(audited.getByText("expires in 3 days", { exact: true })).toBeVisible();
  await expect(audited.getByText(/Would have matched no token in the last 30 days/)).toBeVisible();
  await expectAccessible(page, "connection with an audit ruleset");

  await audited.getByRole("button", { name: "Enforce “try release”" }).click();
  await expect(audited.getByRole("button", { name: /Enforce/ })).toHaveCount(0);
  await expect(audited.getByText("Audit", { exact: true })).toHaveCount(0);
});

test("the Test tab lists audit rulesets apart", async ({ page, createConnection }) => {
  const c = await createConnection({
    rulesets: [
      { label: "main branch", subject: `repo:${ORG}/api:ref:refs/heads/main`, resources: [`${ORG}/api`], scopes: ["pull"] },
      { label: "shadow", subject: `repo:${ORG}/api:*`, resources: [`${ORG}/api`], scopes: ["pull"], mode: "audit" } as never,
    ],
  });
  await page.goto(`${connectionPath(c.id)}/test`);
  await page
    .getByRole("textbox", { name: "Claims JSON, subject or ID token" })
    .fill(JSON.stringify({ sub: `repo:${ORG}/api:pull_request` }));
  await page.getByRole("button", { name: "Run test" }).click();
  await expect(page.getByRole("region", { name: "Result" })).toContainText("Denied");
  const auditList = page.getByRole("list", { name: "Audit rulesets" });
  await expect(auditList).toContainText("shadow would have matched");
});

test("the Policy page says which connections each setting would flag, before saving", async ({
  page,
  createConnection,
  expectAccessible,
}) => {
  const c = await createConnection({ name: uniqueName("name-only") });
  await page.goto(connectionPath());
  await page.getByRole("navigation", { name: "Organisation settings" }).getByRole("link", { name: "Policy" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Policy" })).toBeVisible();
  await page.getByRole("checkbox", { name: "Require immutable subjects" }).check();
  await expect(page.getByText(/Would flag \d+ connections?:/)).toBeVisible();
  await expect(page.getByRole("link", { name: c.name })).toBeVisible();
  await expectAccessible(page, "Policy page with a preview");
  // Nothing is saved in this organisation.
  await page.getByRole("button", { name: "Discard changes" }).click();
  await expect(page.getByRole("checkbox", { name: "Require immutable subjects" })).not.toBeChecked();
});

test.describe("as a member", () => {
  test.use({ storageState: USERS.viewer.storageState });
  test("the policy is read-only", async ({ page }) => {
    await page.goto(policyPath);
    await expect(page.getByRole("checkbox", { name: "Require immutable subjects" })).toBeDisabled();
    await expect(page.getByText("Only owners of this organisation can change its policy.")).toBeVisible();
    await expect(page.getByRole("button", { name: "Save policy" })).toHaveCount(0);
  });
});

test.describe("in the second organisation", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("a saved policy flags connections saved before it", async ({ page, expectAccessible }) => {
    const api = await request.newContext({ baseURL: BASE_URL, extraHTTPHeaders: { Origin: BASE_URL } });
    expect((await api.post("/api/auth/login", { data: { email: "owner@acme.example", password: PASSWORD } })).status()).toBe(200);
    const made = await api.post("/api/orgs/acme/oidc-connections", {
      data: {
        name: uniqueName("acme deploy"),
        type: "github-actions",
        rulesets: [{ label: "main", subject: "repo:acme/billing:ref:refs/heads/main", resources: ["acme/billing"], scopes: ["pull"] }],
      },
    });
    expect(made.status(), await made.text()).toBe(201);
    const connection = (await made.json()) as { id: string; name: string };
    try {
      await page.goto("/sign-in");
      await page.getByLabel("Email").fill("owner@acme.example");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/\/orgs\/acme\//);
      await page.goto(paths.policy("acme"));
      await page.getByRole("checkbox", { name: "Require immutable subjects" }).check();
      await page.getByRole("button", { name: "Save policy" }).click();
      await expect(page.getByRole("status").filter({ hasText: "Policy saved." })).toBeVisible();

      await page.goto(paths.connection("acme", connection.id));
      const flag = page.getByRole("region", { name: "Breaks the organisation's policy" });
      await expect(flag).toContainText("repo:acme@7654321/billing@*:ref:refs/heads/main");
      await expectAccessible(page, "connection that breaks the policy");
      await page.goto(paths.connections("acme"));
      await expect(page.getByRole("row").filter({ hasText: connection.name })).toContainText("Breaks policy");
    } finally {
      const current = await api.get("/api/orgs/acme/policy");
      await api.put("/api/orgs/acme/policy", {
        data: { requireImmutableSubjects: false, requireGateForWrites: false, forbidPullRequestWrites: false, maxTokenTtlSeconds: 3600 },
        headers: { "If-Match": current.headers().etag ?? "" },
      });
      await api.delete(`/api/orgs/acme/oidc-connections/${connection.id}`);
      await api.dispose();
    }
  });
});

test("the reusable-workflow preset pins a central workflow and previews its callers", async ({ page }) => {
  await page.goto(`${connectionPath()}/new`);
  // The form's late queries (policy, dev issuer) settle first: once under CI load the preset's
  // click landed before them and the preset was found closed (not reproduced in 14 local repeats).
  await page.waitForLoadState("networkidle");
  const ruleset = page.getByRole("group", { name: /^Ruleset 1/ });
  await ruleset.getByRole("button", { name: "Trusted reusable workflow…" }).click();
  await ruleset.getByLabel("Workflow repository").fill("base-images");
  await ruleset.getByRole("button", { name: "Apply preset" }).click();
  await expect(ruleset.getByLabel("Subject claim pattern")).toHaveValue("repo:octo-org@1234567/*");
  await expect(ruleset.getByLabel("Pattern 1")).toHaveValue("octo-org/base-images/.github/workflows/release.yml@refs/heads/main");
  const preview = ruleset.getByRole("region", { name: "Live preview" });
  await expect(preview.getByRole("listitem").filter({ hasText: "web calls it (immutable IDs)" })).toContainText("matches");
  await expect(preview.getByRole("listitem").filter({ hasText: "web calls it at another ref" })).toContainText("does not match");
  await expect(preview.getByRole("listitem").filter({ hasText: "web runs its own workflow" })).toContainText("does not match");
});
