import { connectionPath, expect, test } from "../fixtures";
import { BASE_URL, ORG } from "../support/env";

test.describe("Activity (issue #10, items 9 and 10)", () => {
  test("filters by outcome, links token events to their workflow run, and names people as About does", async ({
    page,
    createConnection,
    exchange,
    expectAccessible,
  }) => {
    const c = await createConnection({ issuer: `${BASE_URL}/dev-issuer` });
    expect((await exchange(c.id, { sub: `repo:${ORG}/api:ref:refs/heads/main`, run_id: "777001", run_attempt: "2" })).status()).toBe(200);
    expect((await exchange(c.id, { sub: `repo:${ORG}/api:ref:refs/heads/dev`, run_id: "777002" })).status()).toBe(400);

    await page.goto(connectionPath(`${c.id}/activity`));
    const list = page.getByRole("list", { name: "Activity" });
    // One heading per event (an event's details may hold lists of their own).
    const events = list.getByRole("heading", { level: 3 });
    // Exchanged, denied, created, and the repository's first token (SPEC §12, issue #13).
    await expect(events).toHaveCount(4);

    const run = list.getByRole("link", { name: "Workflow run 777001 (attempt 2) on GitHub (opens in a new tab)" });
    await expect(run).toHaveAttribute("href", `https://github.com/${ORG}/api/actions/runs/777001/attempts/2`);
    await expect(list.getByRole("link", { name: /Workflow run 777002 on GitHub/ })).toHaveAttribute(
      "href",
      `https://github.com/${ORG}/api/actions/runs/777002`,
    );

    const show = page.getByRole("combobox", { name: "Show" });
    await show.selectOption({ label: "Tokens exchanged" });
    await expect(page).toHaveURL(/kind=exchanged/);
    await expect(events).toHaveCount(1);
    await expect(list).toContainText("Token exchanged");
    await show.selectOption({ label: "Exchanges denied" });
    await expect(events).toHaveCount(1);
    await expect(list).toContainText("Token exchange denied");
    await show.selectOption({ label: "Changes to the connection" });
    await expect(events).toHaveCount(1);
    await expect(list).toContainText("Connection created");
    await expect(list).toContainText("by admin@example.com");
    await expectAccessible(page, "activity filtered");

    // A reload keeps the filter.
    await page.reload();
    await expect(show).toHaveValue("changes");
    await show.selectOption({ label: "All activity" });
    await expect(events).toHaveCount(4);

    // About names the creator the same way.
    await page.getByRole("link", { name: "Overview" }).click();
    await expect(page.getByRole("region", { name: "About" })).toContainText("by admin@example.com");
  });

  test("the delete scope's checkbox is as large as the others though its label wraps (issue #10, item 9)", async ({
    page,
    createConnection,
  }) => {
    const c = await createConnection();
    await page.goto(connectionPath(`${c.id}/edit`));
    for (const width of [1280, 1000, 800, 360]) {
      await page.setViewportSize({ width, height: 900 });
      const sizes = [];
      for (const scope of ["pull", "push", "delete"]) {
        const box = await page.getByRole("checkbox", { name: new RegExp(`^${scope} —`) }).boundingBox();
        sizes.push([Math.round(box?.width ?? 0), Math.round(box?.height ?? 0)]);
      }
      expect(sizes, `at ${width}px`).toEqual([sizes[0], sizes[0], sizes[0]]);
      expect(sizes[0]?.[0]).toBeGreaterThanOrEqual(18);
    }
  });
});
