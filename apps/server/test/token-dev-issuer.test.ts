import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { claimsOfSubject } from "../src/token/dev-issuer";
import { createTestApp } from "./support/harness";

describe("development issuer: a given subject sets the job claims it implies", () => {
  const defaults = { ref: "refs/heads/main" };

  it("reads owner, repository, IDs and the branch or tag from the subject", () => {
    expect(claimsOfSubject("repo:octo-org@1234567/web@99:ref:refs/tags/v1.2.0", defaults)).toEqual({
      repository: "octo-org/web",
      repository_owner: "octo-org",
      repository_owner_id: "1234567",
      repository_id: "99",
      ref: "refs/tags/v1.2.0",
      ref_type: "tag",
      event_name: "push",
      workflow_ref: "octo-org/web/.github/workflows/release.yml@refs/tags/v1.2.0",
      job_workflow_ref: "octo-org/web/.github/workflows/release.yml@refs/tags/v1.2.0",
    });
  });

  it("reads environments and pull requests, and leaves other shapes alone", () => {
    expect(claimsOfSubject("repo:acme/billing:environment:production", defaults)).toMatchObject({
      repository: "acme/billing",
      environment: "production",
      ref: "refs/heads/main",
    });
    expect(claimsOfSubject("repo:acme/billing:pull_request", defaults)).toMatchObject({
      event_name: "pull_request",
      ref: "refs/pull/1/merge",
    });
    expect(claimsOfSubject("not-a-subject", defaults)).toEqual({});
  });

  it("mints tokens whose claims agree with the given subject, and given claims still win", async () => {
    const t = await createTestApp("pglite", { DEV_ISSUER: "1" });
    try {
      const mint = async (claims: Record<string, unknown>) => {
        const res = await t.app.request("/dev-issuer/token", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ claims }),
        });
        return decodeJwt(((await res.json()) as { token: string }).token);
      };
      const web = await mint({ sub: "repo:octo-org/web:ref:refs/heads/dev" });
      expect(web).toMatchObject({
        repository: "octo-org/web",
        ref: "refs/heads/dev",
        job_workflow_ref: expect.stringMatching(/^octo-org\/web\//),
      });
      const given = await mint({ sub: "repo:octo-org/web:ref:refs/heads/dev", repository: "octo-org/other" });
      expect(given.repository).toBe("octo-org/other");
    } finally {
      await t.close();
    }
  });
});
