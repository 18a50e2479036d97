/**
 * Contract: real answers of the admin API are exactly what the shared output schemas (and so the
 * OpenAPI document generated from them) say — no field missing, none extra.
 */
import {
  ApiErrorSchema,
  ApiTokenCreatedSchema,
  ApiTokenListSchema,
  ConnectionListSchema,
  ConnectionSchema,
  EventListSchema,
  MeSchema,
  RepositoryListSchema,
  SimulationSchema,
} from "@oidc/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { buildOpenApiDocument, OPERATIONS } from "../src/openapi/document";
import { CONNECTIONS } from "./admin-support";
import {
  ADMIN,
  Client,
  connectionBody,
  createExchangeFixture,
  createTestApp,
  DB_KINDS,
  DEV_ISSUER_URL,
  type ExchangeFixture,
  PUBLIC_URL,
  type Response2,
  type TestApp,
} from "./support/harness";

/** Parses with the schema (which drops unknown keys) and compares: an extra or missing field fails. */
function expectShape(schema: z.ZodType, body: unknown) {
  const parsed = schema.safeParse(body);
  expect(parsed.success ? [] : z.prettifyError(parsed.error)).toEqual([]);
  expect(parsed.data).toEqual(body);
}

describe.each(DB_KINDS)("admin API answers match the shared output schemas (%s)", (kind) => {
  let t: TestApp;
  let c: Client;
  beforeAll(async () => {
    t = await createTestApp(kind);
    c = new Client(t.app);
    await c.login(ADMIN);
  });
  afterAll(() => t.close());

  it("sessions, connections, events, simulate, repositories", async () => {
    expectShape(MeSchema, (await c.get("/api/me")).body);
    const created = await c.post(CONNECTIONS, connectionBody({ description: "contract" }));
    expect(created.status).toBe(201);
    expectShape(ConnectionSchema, created.body);
    const id = created.body.id as string;
    expectShape(ConnectionSchema, (await c.get(`${CONNECTIONS}/${id}`)).body);
    const patched = await c.patch(`${CONNECTIONS}/${id}`, { name: `${created.body.name} 2` }, { "if-match": '"1"' });
    expectShape(ConnectionSchema, patched.body);
    expectShape(ConnectionSchema, (await c.post(`${CONNECTIONS}/${id}/deactivate`)).body);
    expectShape(ConnectionListSchema, (await c.get(CONNECTIONS)).body);
    expectShape(EventListSchema, (await c.get(`${CONNECTIONS}/${id}/events`)).body);
    const sim = await c.post(`${CONNECTIONS}/${id}/simulate`, { claims: { sub: "repo:octo-org/api:ref:refs/heads/main" } });
    expectShape(SimulationSchema, sim.body);
    expectShape(RepositoryListSchema, (await c.get("/api/orgs/octo-org/repositories")).body);
  });

  it("API tokens and errors", async () => {
    const created = await c.post("/api/orgs/octo-org/api-tokens", { name: "contract", role: "member", expiresInDays: 7 });
    expectShape(ApiTokenCreatedSchema, created.body);
    expectShape(ApiTokenListSchema, (await c.get("/api/orgs/octo-org/api-tokens")).body);
    expectShape(ApiErrorSchema, (await c.post(CONNECTIONS, { name: "" })).body);
    expectShape(ApiErrorSchema, (await c.get(`${CONNECTIONS}/nope`)).body);
  });
});

/** A client that keeps every answer it got, to check each against the route table afterwards. */
class RecordingClient extends Client {
  readonly seen: { method: string; path: string; res: Response2 }[] = [];
  override async request<T = any>(method: string, path: string, options: Parameters<Client["request"]>[2] = {}): Promise<Response2<T>> {
    const res = await super.request<T>(method, path, options);
    this.seen.push({ method: method.toLowerCase(), path, res });
    return res;
  }
}

/** The admin API's operations (those a console or the CLI calls): everything under /api but the documentation. */
const ADMIN_OPERATIONS = OPERATIONS.filter((op) => op.path.startsWith("/api/") && !/^\/api\/(docs|openapi|connections-file)/.test(op.path));
const templateOf = (path: string) => new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`);
/** The statuses the published document lists per operation: the route table's own, plus the common errors it adds. */
const DOCUMENTED = buildOpenApiDocument({ publicUrl: PUBLIC_URL, sessionCookie: "session" }).paths as Record<
  string,
  Record<string, { responses: Record<string, unknown> }>
>;
const operationOf = (method: string, path: string) =>
  ADMIN_OPERATIONS.find((op) => op.method === method && templateOf(op.path).test(path.split("?")[0] ?? ""));

describe.each(DB_KINDS)("every admin endpoint answers what the route table's output schema says (%s)", (kind) => {
  let f: ExchangeFixture;
  beforeAll(async () => {
    f = await createExchangeFixture(kind);
  });
  afterAll(() => f.t.close());

  it("each answer parses with the schema of its status, and every endpoint is called with success at least once", async () => {
    const c = new RecordingClient(f.t.app);
    const ORG = "/api/orgs/octo-org";
    await c.login(ADMIN);
    await c.get("/api/me");
    await c.get("/api/config");
    await c.get(`${ORG}/repositories`);
    const created = await c.post(CONNECTIONS, connectionBody({ issuer: DEV_ISSUER_URL }));
    const id = (created.body as { id: string }).id;
    await c.get(CONNECTIONS);
    await c.get(`${CONNECTIONS}/${id}`);
    await c.patch(`${CONNECTIONS}/${id}`, { description: "contract" }, { "if-match": '"1"' });
    await c.patch(`${CONNECTIONS}/${id}`, { description: "stale" }, { "if-match": '"1"' });
    await c.post(`${CONNECTIONS}/${id}/simulate`, { claims: { sub: "repo:octo-org/api:ref:refs/heads/main" } });
    const exchanged = await f.exchange(id, { sub: "repo:octo-org/api:ref:refs/heads/main" });
    await c.get(`/api/v1/repositories/octo-org/api/access`, { authorization: `Bearer ${exchanged.body.access_token}` });
    await c.get(`${CONNECTIONS}/${id}/events`);
    await c.get(`${CONNECTIONS}/${id}/audit`);
    await c.get(`${CONNECTIONS}/${id}/usage`);
    await c.get(`${ORG}/events`);
    await c.post(`${CONNECTIONS}/${id}/deactivate`, undefined, { "if-match": '"2"' });
    await c.post(`${CONNECTIONS}/${id}/activate`, undefined, { "if-match": '"3"' });
    const policy = await c.get(`${ORG}/policy`);
    const settings = {
      requireImmutableSubjects: false,
      requireGateForWrites: false,
      forbidPullRequestWrites: false,
      maxTokenTtlSeconds: 3600,
    };
    await c.request("PUT", `${ORG}/policy`, { json: settings, headers: { "if-match": policy.headers.get("etag") ?? "" } });
    await c.post(`${ORG}/policy/dry-run`, settings);
    const token = await c.post(`${ORG}/api-tokens`, { name: "contract", role: "member", expiresInDays: 7 });
    await c.get(`${ORG}/api-tokens`);
    await c.delete(`${ORG}/api-tokens/${(token.body as { id: string }).id}`);
    await c.get(`${ORG}/webhook`);
    await c.request("PUT", `${ORG}/webhook`, { json: { url: "http://127.0.0.1:9/hook", events: ["connection.created"] } });
    await c.request("PUT", `${ORG}/webhook`, { json: { url: "http://127.0.0.1:9/hook", events: ["connection.updated"] } });
    await c.get(`${ORG}/webhook`);
    await c.post(`${ORG}/webhook/rotate-secret`);
    await c.post(`${ORG}/webhook/test`);
    await c.get(`${ORG}/webhook/deliveries`);
    await c.delete(`${ORG}/webhook`);
    await c.delete(`${CONNECTIONS}/${id}`, { "if-match": '"4"' });
    await c.get(`${CONNECTIONS}/${id}`);
    await c.post("/api/auth/logout");

    const succeeded = new Set<string>();
    for (const { method, path, res } of c.seen) {
      const op = operationOf(method, path);
      expect(op, `${method} ${path} is in the route table`).toBeDefined();
      if (!op) continue;
      const listed = Object.keys(DOCUMENTED[op.path]?.[op.method]?.responses ?? {});
      expect(listed, `${method} ${path} answered ${res.status}, which the document does not list`).toContain(String(res.status));
      // The common errors the document adds (400, 401, 403, 404, 429) are the API's error body.
      const schema = op.responses[res.status]?.schema ?? (res.status >= 400 ? ApiErrorSchema : undefined);
      if (schema) expectShape(schema, res.body);
      if (res.status < 300) succeeded.add(`${op.method} ${op.path}`);
    }
    const missing = ADMIN_OPERATIONS.map((op) => `${op.method} ${op.path}`).filter((key) => !succeeded.has(key));
    expect(missing).toEqual([]);
  });
});
