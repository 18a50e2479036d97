import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, Client, connectionBody, createTestApp, DB_KINDS, type TestApp } from "./support/harness";

describe.each(DB_KINDS)("admin API smoke (%s)", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(() => t.close());

  it("creates, lists with the ruleset count, and reads a connection", async () => {
    const c = new Client(t.app);
    await c.login(ADMIN);
    const created = await c.post("/api/orgs/octo-org/oidc-connections", connectionBody({ name: "Smoke" }));
    expect(created.status).toBe(201);
    const list = await c.get("/api/orgs/octo-org/oidc-connections");
    expect(list.body.items).toEqual([expect.objectContaining({ name: "Smoke", rulesetCount: 1 })]);
  });
});
