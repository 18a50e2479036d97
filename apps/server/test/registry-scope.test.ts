import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalScope,
  intersectAccess,
  MAX_SCOPES,
  MalformedScope,
  parseScope,
  parseScopes,
  REPOSITORY_ACTIONS,
} from "../src/registry/scope";

const grant = (name: string, ...actions: string[]) => ({ type: "repository", name, actions });

describe("parseScope", () => {
  it.each([
    ["repository:octo-org/api:pull", { type: "repository", name: "octo-org/api", actions: ["pull"] }],
    ["repository:octo-org/api:pull,push", { type: "repository", name: "octo-org/api", actions: ["pull", "push"] }],
    ["repository:octo-org/api:push,pull,push", { type: "repository", name: "octo-org/api", actions: ["push", "pull"] }],
    ["repository:octo-org/api:*", { type: "repository", name: "octo-org/api", actions: ["*"] }],
    ["repository:a/b.c/d__e-f:pull", { type: "repository", name: "a/b.c/d__e-f", actions: ["pull"] }],
    ["repository(plugin):octo-org/p:pull", { type: "repository(plugin)", name: "octo-org/p", actions: ["pull"] }],
    ["registry:catalog:*", { type: "registry", name: "catalog", actions: ["*"] }],
    // Unknown actions parse (and are never granted).
    ["repository:octo-org/api:pull,frobnicate", { type: "repository", name: "octo-org/api", actions: ["pull", "frobnicate"] }],
  ])("%s", (scope, expected) => {
    expect(parseScope(scope)).toEqual(expected);
  });

  it.each([
    "",
    "repository",
    "repository:octo-org/api",
    "repository::pull",
    "repository:octo-org/api:",
    "repository:octo-org/api:pull,",
    "repository:octo-org/api:pull;rm",
    "repository:octo-org/api:PULL",
    "repository:Octo-Org/api:pull",
    "repository:octo-org//api:pull",
    "repository:/octo-org/api:pull",
    "repository:octo-org/api/:pull",
    "repository:octo-org/-api:pull",
    "repository:octo org/api:pull",
    "Repository:octo-org/api:pull",
    ":octo-org/api:pull",
    `repository:octo-org/${"a".repeat(300)}:pull`,
    "registry:cata log:*",
    "repository:octo-org/api\u0000:pull",
  ])("refuses %j", (scope) => {
    expect(() => parseScope(scope)).toThrow(MalformedScope);
  });
});

describe("parseScopes", () => {
  it("takes repeated parameters and space-separated scopes alike; empty values are no scope", () => {
    expect(parseScopes(["repository:o/a:pull repository:o/b:push", "", "repository:o/a:push"])).toEqual([
      { type: "repository", name: "o/a", actions: ["pull"] },
      { type: "repository", name: "o/b", actions: ["push"] },
      { type: "repository", name: "o/a", actions: ["push"] },
    ]);
    expect(parseScopes([])).toEqual([]);
    expect(parseScopes([""])).toEqual([]);
  });

  it(`refuses more than ${MAX_SCOPES} scopes`, () => {
    expect(parseScopes(Array.from({ length: MAX_SCOPES }, (_, i) => `repository:o/r${i}:pull`))).toHaveLength(MAX_SCOPES);
    expect(() => parseScopes(Array.from({ length: MAX_SCOPES + 1 }, (_, i) => `repository:o/r${i}:pull`))).toThrow(MalformedScope);
  });
});

describe("intersectAccess", () => {
  const granted = [grant("octo-org/api", "pull", "push"), grant("octo-org/docs", "pull")];
  const access = (...scopes: string[]) => intersectAccess(parseScopes(scopes), granted);

  it("keeps the requested actions that are granted, in the order pull, push, delete", () => {
    expect(access("repository:octo-org/api:push,pull,delete")).toEqual([
      { type: "repository", name: "octo-org/api", actions: ["pull", "push"] },
    ]);
  });

  it("`*` means pull, push and delete", () => {
    expect(access("repository:octo-org/api:*")).toEqual([{ type: "repository", name: "octo-org/api", actions: ["pull", "push"] }]);
    expect(access("repository:octo-org/docs:*")).toEqual([{ type: "repository", name: "octo-org/docs", actions: ["pull"] }]);
  });

  it("several scopes: one entry per repository, in the order asked; nothing for what is not granted", () => {
    expect(access("repository:octo-org/docs:pull,push", "repository:octo-org/web:pull", "repository:octo-org/api:pull")).toEqual([
      { type: "repository", name: "octo-org/docs", actions: ["pull"] },
      { type: "repository", name: "octo-org/api", actions: ["pull"] },
    ]);
    expect(access("repository:octo-org/docs:push")).toEqual([]);
  });

  it("repeated scopes for one repository are merged", () => {
    expect(access("repository:octo-org/api:pull", "repository:octo-org/api:push", "repository:octo-org/api:pull")).toEqual([
      { type: "repository", name: "octo-org/api", actions: ["pull", "push"] },
    ]);
  });

  it("other resource types and unknown actions are never granted", () => {
    const everything = [
      grant("catalog", "*"),
      { type: "registry", name: "catalog", actions: ["*"] },
      grant("octo-org/api", "pull", "frobnicate"),
    ];
    expect(intersectAccess(parseScopes(["registry:catalog:*", "repository(plugin):octo-org/api:pull"]), everything)).toEqual([]);
    expect(intersectAccess(parseScopes(["repository:octo-org/api:pull,frobnicate"]), everything)).toEqual([
      { type: "repository", name: "octo-org/api", actions: ["pull"] },
    ]);
  });

  it("matches the granted name without regard to case (repository names are unique per org ignoring case)", () => {
    expect(intersectAccess(parseScopes(["repository:octo-org/api:pull"]), [grant("octo-org/API", "pull")])).toEqual([
      { type: "repository", name: "octo-org/api", actions: ["pull"] },
    ]);
  });

  it("ignores grants of the wrong shape", () => {
    expect(
      intersectAccess(parseScopes(["repository:octo-org/api:pull"]), [
        { type: "repository", name: "octo-org/api" },
        { type: "repository", actions: ["pull"] },
        { name: "octo-org/api", actions: ["pull"] },
        null as never,
      ]),
    ).toEqual([]);
  });

  it("property: every granted action was asked for (directly or by `*`) and is granted", () => {
    const name = fc.constantFrom("o/a", "o/b", "o/c");
    const action = fc.constantFrom("pull", "push", "delete", "*", "other");
    const scopes = fc.array(
      fc.record({ type: fc.constantFrom("repository", "registry"), name, actions: fc.uniqueArray(action, { minLength: 1 }) }),
    );
    const grants = fc.array(fc.record({ type: fc.constant("repository"), name, actions: fc.subarray([...REPOSITORY_ACTIONS]) }));
    fc.assert(
      fc.property(scopes, grants, (requested, granted) => {
        const result = intersectAccess(requested, granted);
        expect(new Set(result.map((r) => r.name)).size).toBe(result.length);
        for (const r of result) {
          expect(r.actions.length).toBeGreaterThan(0);
          for (const a of r.actions) {
            expect(
              requested.some((s) => s.type === "repository" && s.name === r.name && (s.actions.includes(a) || s.actions.includes("*"))),
            ).toBe(true);
            expect(granted.some((g) => g.name === r.name && g.actions.includes(a))).toBe(true);
          }
        }
        // And nothing granted and asked is left out.
        for (const s of requested.filter((x) => x.type === "repository"))
          for (const a of REPOSITORY_ACTIONS)
            if ((s.actions.includes(a) || s.actions.includes("*")) && granted.some((g) => g.name === s.name && g.actions.includes(a)))
              expect(result.find((r) => r.name === s.name)?.actions).toContain(a);
      }),
      { numRuns: 500 },
    );
  });
});

describe("canonicalScope", () => {
  it("is the same for the same set asked in any order or split", () => {
    const a = canonicalScope(parseScopes(["repository:o/b:push repository:o/a:pull", "repository:o/b:pull"]));
    const b = canonicalScope(parseScopes(["repository:o/a:pull", "repository:o/b:pull,push"]));
    expect(a).toBe("repository:o/a:pull repository:o/b:pull,push");
    expect(b).toBe(a);
    expect(canonicalScope([])).toBe("");
  });
});
