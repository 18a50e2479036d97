import { ERROR_CODES } from "@oidc/shared";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { validator } from "hono/validator";
import { describe, expect, it } from "vitest";
import { Forbidden, NameTaken, NotFound, PolicyViolation, ValidationFailed, VersionMismatch, VersionRequired } from "../src/domain/errors";
import { NOT_FOUND_MESSAGE, toErrorResponse } from "../src/http/errors";

/** The app's one error path, behind Hono's own validators. */
function appWithErrorPath(throwing: () => never) {
  const unexpected: unknown[] = [];
  const app = new Hono()
    .post(
      "/json",
      validator("json", (v) => v),
      (c) => c.json({ ok: true }),
    )
    .post(
      "/form",
      validator("form", (v) => v),
      (c) => c.json({ ok: true }),
    )
    .get("/throw", () => throwing());
  app.onError((err, c) => toErrorResponse(c, err, (e) => unexpected.push(e)));
  return { app, unexpected };
}

const never = (): never => {
  throw new Error("not called");
};

describe("the one error path (http/errors.ts)", () => {
  it("a malformed JSON body is a 400 that says so", async () => {
    const { app } = appWithErrorPath(never);
    const res = await app.request("/json", { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        code: "validation_failed",
        message: "The request body is not valid JSON",
        issues: [{ path: [], message: "Malformed JSON" }],
      },
    });
  });

  it("a 400 that is not about JSON says what it is, not 'not valid JSON'", async () => {
    const { app } = appWithErrorPath(never);
    const res = await app.request("/form", {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=x" },
      body: "this is not multipart",
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).not.toMatch(/JSON/);
    expect(body.error.message).toMatch(/FormData/);

    const other = appWithErrorPath(() => {
      throw new HTTPException(400, { message: "Invalid Connection header value: x" });
    });
    const res2 = await other.app.request("/throw");
    expect(res2.status).toBe(400);
    const body2 = (await res2.json()) as { error: { message: string } };
    expect(body2.error.message).toMatch(/Invalid Connection header value/);
    expect(body2.error.message).not.toMatch(/JSON/);
  });

  it.each([
    [new NotFound("secret detail"), 404, "not_found"],
    [new ValidationFailed([{ path: ["name"], message: "x" }]), 400, "validation_failed"],
    [new PolicyViolation([{ path: ["rulesets", 0, "subject"], message: "x" }]), 400, "policy_violation"],
    [new Forbidden("owners only"), 403, "forbidden"],
    [new NameTaken("taken", [{ path: ["name"], message: "x" }]), 409, "name_taken"],
    [new VersionMismatch("changed"), 412, "precondition_failed"],
    [new VersionRequired("send If-Match"), 428, "precondition_required"],
  ] as const)("a domain %s answers %i %s (a listed code)", async (error, status, code) => {
    const { app, unexpected } = appWithErrorPath(() => {
      throw error;
    });
    const res = await app.request("/throw");
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string; issues?: unknown[] } };
    expect(body.error.code).toBe(code);
    expect(ERROR_CODES).toContain(body.error.code);
    if (error instanceof NotFound) expect(body.error.message).toBe(NOT_FOUND_MESSAGE);
    if ("issues" in error) expect(body.error.issues).toEqual(error.issues);
    expect(unexpected).toEqual([]);
  });
});
