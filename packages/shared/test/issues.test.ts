import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConnectionCreateSchema, issueKey, issuePath, issuesByPath } from "../src";

describe("issue paths (one helper for server errors and console forms)", () => {
  it("keeps numbers, turns symbols into strings", () => {
    const s = Symbol("x");
    expect(issuePath(["rulesets", 0, s])).toEqual(["rulesets", 0, "Symbol(x)"]);
    expect(issueKey(["rulesets", 0, "subject"])).toBe("rulesets.0.subject");
    expect(issueKey([])).toBe("");
  });

  it("keys a schema's issues by their dotted path, first message per path", () => {
    const parsed = ConnectionCreateSchema.safeParse({ name: "", type: "github-actions", rulesets: [{ label: "a", subject: "x" }] });
    expect(parsed.success).toBe(false);
    const byPath = issuesByPath(parsed.error?.issues ?? []);
    expect(byPath.name).toBe("Enter a name");
    expect(byPath["rulesets.0.subject"]).toMatch(/Must start with repo:/);
    expect(issuesByPath([...(z.string().min(3).max(1).safeParse("ab").error?.issues ?? [])])).toEqual({ "": expect.any(String) });
  });
});
