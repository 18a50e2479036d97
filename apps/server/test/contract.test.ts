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
import { CONNECTIONS } from "./admin-support";
import { ADMIN, Client, connectionBody, createTestApp, DB_KINDS, type TestApp } from "./support/harness";

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
