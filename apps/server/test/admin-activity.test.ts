import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONNECTIONS, expectError } from "./admin-support";
import { type Client, createExchangeFixture, DB_KINDS, DEV_ISSUER_URL, type ExchangeFixture } from "./support/harness";

// Issue #10: the dry run decides as the token endpoint does (status, rulesets, closest miss), and
// Activity can be filtered by kind, its token events carrying what a workflow-run link needs.
describe.each(DB_KINDS)("dry run and activity (%s)", (kind) => {
  let f: ExchangeFixture;
  let admin: Client;
  let viewer: Client;
  beforeAll(async () => {
    f = await createExchangeFixture(kind);
    ({ admin, viewer } = f);
  });
  afterAll(() => f.t.close());

  const create = (overrides: Record<string, unknown> = {}) => f.createConnection(overrides);
  const rulesets = [
    { label: "main", subject: "repo:octo-org/api:ref:refs/heads/main", resources: ["octo-org/api"], scopes: ["pull", "push"] },
    {
      label: "production",
      subject: "repo:octo-org/web:*",
      conditions: [{ claim: "environment", pattern: "production" }],
      resources: ["octo-org/web"],
      scopes: ["pull"],
    },
  ];

  it("simulate refuses on an inactive connection and says why; a miss comes with the closest ruleset", async () => {
    const c = await create({ rulesets });
    const url = `${CONNECTIONS}/${c.id}/simulate`;
    const claims = { sub: "repo:octo-org/api:ref:refs/heads/main" };
    expect((await viewer.post(url, { claims })).body).toMatchObject({ allowed: true, reason: null, diagnosis: null, matched: ["main"] });

    const miss = await viewer.post(url, { claims: { sub: "repo:octo-org/web:environment:staging", environment: "staging" } });
    expect(miss.body).toMatchObject({
      allowed: false,
      reason: "no_matching_ruleset",
      diagnosis: { label: "production", failed: { kind: "condition", claim: "environment", pattern: "production", value: "staging" } },
    });

    expect((await admin.post(`${url.replace("/simulate", "/deactivate")}`, {})).status).toBe(200);
    const inactive = await viewer.post(url, { claims });
    expect(inactive.status).toBe(200);
    expect(inactive.body).toMatchObject({ allowed: false, reason: "connection_inactive", matched: ["main"], access: [] });
  });

  it("events filter by kind (exchanged, denied, changes); token events carry the run's server, repository, ID and attempt", async () => {
    const c = await create({ rulesets, issuer: DEV_ISSUER_URL });
    const exchange = (claims: Record<string, unknown>) => f.exchange(c.id, claims);
    expect((await exchange({ sub: "repo:octo-org/api:ref:refs/heads/main", run_id: "4242", run_attempt: "2" })).status).toBe(200);
    expect((await exchange({ sub: "repo:octo-org/api:ref:refs/heads/dev", run_id: "4343" })).status).toBe(400);
    const events = `${CONNECTIONS}/${c.id}/events`;
    const types = async (query: string) => {
      const res = await viewer.get(`${events}${query}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return (res.body as { items: { type: string; details: any }[] }).items;
    };
    // SPEC §12: the repository's first token also writes token.first_use (not counted as an exchange below).
    expect((await types("")).map((e) => e.type)).toEqual(["token.denied", "token.first_use", "token.exchanged", "connection.created"]);
    const exchanged = await types("?kind=exchanged");
    expect(exchanged.map((e) => e.type)).toEqual(["token.exchanged"]);
    expect(exchanged[0]?.details).toMatchObject({
      serverUrl: "https://github.com",
      repository: "octo-org/api",
      runId: "4242",
      runAttempt: "2",
    });
    const denied = await types("?kind=denied");
    expect(denied.map((e) => e.type)).toEqual(["token.denied"]);
    expect(denied[0]?.details.job).toMatchObject({ serverUrl: "https://github.com", repository: "octo-org/api", runId: "4343" });
    expect((await types("?kind=changes")).map((e) => e.type)).toEqual(["connection.created"]);
    expect(await types("?kind=changes&cursor=1")).toEqual([]);
    expectError(await viewer.get(`${events}?kind=everything`), 400, "validation_failed");
  });
});
