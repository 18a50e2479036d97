import { describe, expect, it } from "vitest";
import { ApiError, issuesByPath, toApiError, unwrap } from "./api-client";

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("api-client error normalising", () => {
  it("turns the API's error body into an ApiError with issues", async () => {
    const err = await toApiError(
      json(400, {
        error: { code: "validation_failed", message: "see issues", issues: [{ path: ["rulesets", 0, "subject"], message: "bad" }] },
      }),
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: "validation_failed", message: "see issues" });
    expect(issuesByPath(err.issues)).toEqual({ "rulesets.0.subject": "bad" });
  });

  it("copes with bodies that are not ours, and reads Retry-After", async () => {
    const err = await toApiError(new Response("<html>", { status: 429, headers: { "Retry-After": "7" } }));
    expect(err).toMatchObject({ status: 429, code: "http_429", retryAfterSeconds: 7 });
    expect(err.message).toMatch(/Too many requests/);
  });

  it("unwrap returns the body, undefined for 204, and throws ApiError otherwise", async () => {
    await expect(unwrap(Promise.resolve(json(200, { ok: 1 })))).resolves.toEqual({ ok: 1 });
    await expect(unwrap(Promise.resolve(new Response(null, { status: 204 })))).resolves.toBeUndefined();
    await expect(unwrap(Promise.resolve(json(412, { error: { code: "precondition_failed", message: "stale" } })))).rejects.toMatchObject({
      status: 412,
      code: "precondition_failed",
    });
    await expect(unwrap(Promise.reject(new TypeError("fetch failed")))).rejects.toMatchObject({ code: "network_error" });
  });
});
