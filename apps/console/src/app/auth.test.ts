import { describe, expect, it } from "vitest";
import { safeNext, signInPath } from "./auth";

describe("returning after sign-in", () => {
  it("only follows same-app paths", () => {
    expect(safeNext("/orgs/octo-org/oidc-connections?status=active")).toBe("/orgs/octo-org/oidc-connections?status=active");
    expect(safeNext("//evil.example/x")).toBe("/");
    expect(safeNext("https://evil.example")).toBe("/");
    expect(safeNext("/\\evil.example")).toBe("/");
    expect(safeNext(null)).toBe("/");
  });

  it("remembers the page and its query", () => {
    expect(signInPath({ pathname: "/orgs/o/oidc-connections", search: "?q=a" })).toBe(
      "/sign-in?next=%2Forgs%2Fo%2Foidc-connections%3Fq%3Da",
    );
    expect(signInPath({ pathname: "/", search: "" })).toBe("/sign-in");
  });
});
