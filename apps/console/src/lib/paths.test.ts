import { describe, expect, it } from "vitest";
import { paths } from "./paths";

describe("paths", () => {
  it("builds every org page's URL", () => {
    const id = "4a79e7ab-9b35-4552-8ddf-1f04fb6654d0";
    expect(paths.connections("octo-org")).toBe("/orgs/octo-org/oidc-connections");
    expect(paths.newConnection("octo-org")).toBe("/orgs/octo-org/oidc-connections/new");
    expect(paths.connection("octo-org", id)).toBe(`/orgs/octo-org/oidc-connections/${id}`);
    expect(paths.createdConnection("octo-org", id)).toBe(`/orgs/octo-org/oidc-connections/${id}?created=1`);
    expect(paths.editConnection("octo-org", id)).toBe(`/orgs/octo-org/oidc-connections/${id}/edit`);
    expect(paths.connectionActivity("octo-org", id)).toBe(`/orgs/octo-org/oidc-connections/${id}/activity`);
    expect(paths.policy("octo-org")).toBe("/orgs/octo-org/policy");
    expect(paths.apiTokens("octo-org")).toBe("/orgs/octo-org/api-tokens");
    expect(paths.auditLog("octo-org")).toBe("/orgs/octo-org/audit-log");
    expect(paths.webhooks("octo-org")).toBe("/orgs/octo-org/webhooks");
  });

  it("cannot be steered elsewhere by a malformed value", () => {
    expect(paths.connection("o", "../../x")).toBe("/orgs/o/oidc-connections/..%2F..%2Fx");
  });
});
