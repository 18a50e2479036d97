import { ConnectionsFileSchema } from "@oidc/shared";
import { compileErrors, validate } from "@readme/openapi-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATIONS } from "../src/openapi/document";
import { createTestApp, type TestApp } from "./support/harness";

/**
 * Mounted routes that are not part of the product's API, and why:
 * - the console (GET * and /assets/*): the single-page app's files;
 * - /dev-issuer/*: the development issuer (DEV_ISSUER=1 only, never in production; SPEC §6.6).
 */
const EXCLUDED = [/^\*$/, /^\/\*$/, /^\/assets\/\*$/, /^\/dev-issuer(\/|$)/];

describe("OpenAPI document (SPEC §10)", () => {
  let t: TestApp;
  let doc: any;
  beforeAll(async () => {
    t = await createTestApp("pglite", { DEV_ISSUER: "1" });
    const res = await t.app.request("/api/openapi.json");
    expect(res.status).toBe(200);
    doc = await res.json();
  });
  afterAll(() => t.close());

  it("is a valid OpenAPI 3.1 document", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(doc));
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.valid).toBe(true);
  });

  it("describes every mounted route, and only mounted routes", () => {
    const described = new Set(
      Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    const mounted = new Set(
      t.app.routes
        .filter((r) => r.method !== "ALL" && !EXCLUDED.some((re) => re.test(r.path)))
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    expect(mounted.size).toBeGreaterThan(20);
    expect([...mounted].filter((r) => !described.has(r))).toEqual([]);
    expect([...described].filter((r) => !mounted.has(r))).toEqual([]);
  });

  it("has request and response bodies from the shared schemas, the error format and both admin security schemes", () => {
    const create = doc.paths["/api/orgs/{org}/oidc-connections"].post;
    expect(create.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/ConnectionCreate" });
    expect(create.responses["201"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Connection" });
    expect(create.responses["400"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
    expect(create.security).toEqual([{ cookieAuth: [] }, { apiToken: [] }]);
    // Strictness of the shared schema shows: unknown fields are refused.
    expect(doc.components.schemas.ConnectionCreate.additionalProperties).toBe(false);
    expect(doc.components.schemas.ConnectionCreate.properties.rulesets.items.properties.scopes.items.enum).toEqual([
      "pull",
      "push",
      "delete",
    ]);
    expect(doc.components.schemas.Error.properties.error.required).toEqual(["code", "message"]);
    expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(["cookieAuth", "apiToken"]));
    expect(doc.components.securitySchemes.cookieAuth).toMatchObject({ type: "apiKey", in: "cookie", name: "oidc_session" });
    expect(doc.components.securitySchemes.apiToken).toMatchObject({ type: "http", scheme: "bearer" });
    const token = doc.paths["/oauth/token"].post;
    expect(Object.keys(token.requestBody.content)).toEqual(["application/x-www-form-urlencoded", "application/json"]);
    expect(token.responses["400"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/OAuthError" });
    const patch = doc.paths["/api/orgs/{org}/oidc-connections/{id}"].patch;
    expect(patch.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: "If-Match", in: "header", required: true })]));
    const list = doc.paths["/api/orgs/{org}/oidc-connections"].get;
    expect(list.parameters.map((p: any) => p.name)).toEqual(["org", "status", "q", "limit", "cursor"]);
    // Every operation of the table is in the document once, with a unique operationId.
    const ids = Object.values(doc.paths).flatMap((ops: any) => Object.values(ops).map((o: any) => o.operationId));
    expect(ids.length).toBe(OPERATIONS.length);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("the docs page is served from our origin with our CSP, with its script beside it", async () => {
    const page = await t.app.request("/api/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    const html = await page.text();
    expect(html).toContain('<script src="/api/docs.js"></script>');
    expect(html).not.toMatch(/<script>(?!<)/); // no inline script
    expect(html).not.toMatch(/https?:\/\/(?!json-schema)/); // nothing from another origin
    const js = await t.app.request("/api/docs.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await js.text()).not.toContain("innerHTML");
  });

  it("publishes the connections-file JSON Schema generated from the shared schema", async () => {
    const res = await t.app.request("/api/connections-file.schema.json");
    expect(res.status).toBe(200);
    const schema = (await res.json()) as any;
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.properties.connections.items.required).toEqual(expect.arrayContaining(["name", "rulesets"]));
    expect(schema.additionalProperties).toBe(false);
    expect(ConnectionsFileSchema.safeParse({ connections: [] }).success).toBe(true);
  });
});
