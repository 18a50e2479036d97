import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../src/env";
import {
  type Client,
  createExchangeFixture,
  createTestApp,
  DEV_ISSUER_URL,
  exchangeParams,
  exchangeToken,
  mintIdToken,
  type TestApp,
} from "./support/harness";

const TOKEN = "m".repeat(40);
const PRODUCTION = {
  NODE_ENV: "production",
  PUBLIC_URL: "https://oidc.example.com",
  KEY_ENCRYPTION_KEY: `kek-1:${randomBytes(32).toString("base64")}`,
};

/** The sample lines of a scrape whose name starts with `name`. */
const samples = (text: string, name: string) => text.split("\n").filter((l) => l.startsWith(name));
const sampleValue = (line: string | undefined) => Number(line?.split(" ").at(-1));

describe("GET /metrics (docs/operations.md)", () => {
  let t: TestApp;
  let viewer: Client;
  let connectionId: string;

  beforeAll(async () => {
    const f = await createExchangeFixture("pglite");
    t = f.t;
    viewer = f.viewer;
    ({ id: connectionId } = await f.createConnection({
      name: "Metrics",
      issuer: DEV_ISSUER_URL,
      rulesets: [{ label: "main", subject: "repo:octo-org/api:ref:refs/heads/main", resources: ["octo-org/api"], scopes: ["pull"] }],
    }));
  });
  afterAll(() => t.close());

  const scrape = async () => {
    const res = await t.app.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  it("answers the Prometheus text format with the named series after an exchange and a denial", async () => {
    const before = await scrape();
    const issued = (text: string) => sampleValue(samples(text, 'oidc_token_exchanges_total{outcome="issued",reason="none"}')[0]);
    const denied = (text: string) =>
      sampleValue(samples(text, 'oidc_token_exchanges_total{outcome="denied",reason="no_matching_ruleset"}')[0]);

    const ok = await exchangeToken(t.app, exchangeParams(connectionId, await mintIdToken(t.app)));
    expect(ok.status).toBe(200);
    const refused = await exchangeToken(
      t.app,
      exchangeParams(connectionId, await mintIdToken(t.app, { sub: "repo:octo-org/api:ref:refs/heads/other", ref: "refs/heads/other" })),
    );
    expect(refused.status).toBe(400);

    const text = await scrape();
    expect(issued(text) - (issued(before) || 0)).toBe(1);
    expect(denied(text) - (denied(before) || 0)).toBe(1);
    // Request latency per route as registered.
    expect(samples(text, 'http_request_duration_seconds_count{method="POST",route="/oauth/token",status="200"}')).toHaveLength(1);
    expect(
      samples(text, 'http_request_duration_seconds_count{method="POST",route="/api/orgs/:org/oidc-connections",status="201"}'),
    ).toHaveLength(1);
    // JWKS of the (trusted) development issuer: fetched, and how old the cached keys are.
    expect(sampleValue(samples(text, `oidc_jwks_fetches_total{issuer="${DEV_ISSUER_URL}",result="ok"}`)[0])).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples(text, `oidc_jwks_cache_age_seconds{issuer="${DEV_ISSUER_URL}"}`)[0])).toBeGreaterThanOrEqual(0);
    // The recorder's batch sizes, the database, the event loop.
    expect(sampleValue(samples(text, "oidc_exchange_recorder_batch_size_count")[0])).toBeGreaterThanOrEqual(1);
    expect(samples(text, "oidc_database_waiting_requests ")).toHaveLength(1);
    expect(samples(text, "oidc_database_pool_size ")).toHaveLength(1);
    expect(samples(text, 'oidc_exchange_database_gate{state="queued"}')).toHaveLength(1);
    expect(samples(text, "nodejs_eventloop_lag_p99_seconds")).toHaveLength(1);
  });

  it("the reads folded into the session (routes/connections.ts foldedReadRoutes) count under their routes as registered", async () => {
    expect((await viewer.get(`/api/orgs/octo-org/oidc-connections/${connectionId}`)).status).toBe(200);
    expect((await viewer.get("/api/orgs/octo-org/oidc-connections")).status).toBe(200);
    const text = await scrape();
    expect(
      samples(text, 'http_request_duration_seconds_count{method="GET",route="/api/orgs/:org/oidc-connections/:id",status="200"}'),
    ).toHaveLength(1);
    expect(
      samples(text, 'http_request_duration_seconds_count{method="GET",route="/api/orgs/:org/oidc-connections",status="200"}'),
    ).toHaveLength(1);
  });

  it("keeps cardinality bounded: an unknown path or id creates no series of its own", async () => {
    await t.app.request("/no/such/path/8c1f0e");
    await t.app.request("/api/orgs/octo-org/oidc-connections/0b7a7a52-55d5-4c9e-9a43-3c1e0b7a0c11");
    const text = await scrape();
    expect(text).not.toContain("8c1f0e");
    expect(text).not.toContain("0b7a7a52");
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
    await t.app.request("/no/such/path/another-one");
    await t.app.request("/api/orgs/some-org/no-such-thing");
    const after = new Set([...(await scrape()).matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
    expect([...after].filter((r) => !routes.has(r))).toEqual([]);
  });
});

describe("/metrics on the public port is protected", () => {
  let withToken: TestApp;
  let withPort: TestApp;
  // Apps made in hooks (60 s): seeding two databases takes long on a loaded 2-core machine.
  beforeAll(async () => {
    withToken = await createTestApp("pglite", { METRICS_TOKEN: TOKEN });
    withPort = await createTestApp("pglite", { METRICS_PORT: "9464" });
  });
  afterAll(async () => {
    await withToken?.close();
    await withPort?.close();
  });

  it("with METRICS_TOKEN: 401 without the token or with another, 200 with it", async () => {
    const none = await withToken.app.request("/metrics");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await none.json()).toMatchObject({ error: { code: "unauthenticated" } });
    expect((await withToken.app.request("/metrics", { headers: { authorization: `Bearer ${"x".repeat(40)}` } })).status).toBe(401);
    const ok = await withToken.app.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("# TYPE http_request_duration_seconds histogram");
  });

  it("in production without METRICS_TOKEN, or with METRICS_PORT, it is not on the public port (404)", async () => {
    const res = await withPort.app.request("/metrics");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
    expect(parseEnv(PRODUCTION).metrics).toMatchObject({ enabled: true, publicPort: "off", port: undefined, host: "127.0.0.1" });
    expect(parseEnv({ ...PRODUCTION, METRICS_TOKEN: TOKEN }).metrics.publicPort).toBe("token");
    expect(parseEnv({ ...PRODUCTION, METRICS_PORT: "9464" }).metrics).toMatchObject({ publicPort: "off", port: 9464 });
  });

  it("refuses configurations that would mislead: a short token, the public port twice, a token behind a cluster", () => {
    expect(() => parseEnv({ ...PRODUCTION, METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN: must be 32/);
    expect(() => parseEnv({ ...PRODUCTION, METRICS_TOKEN: "short" })).not.toThrow(/short/);
    expect(() => parseEnv({ ...PRODUCTION, PORT: "9000", METRICS_PORT: "9000" })).toThrow(/METRICS_PORT: must differ from PORT/);
    expect(() => parseEnv({ ...PRODUCTION, WORKERS: "2", METRICS_TOKEN: TOKEN })).toThrow(/METRICS_TOKEN: with WORKERS > 1/);
    expect(parseEnv({ ...PRODUCTION, METRICS: "0" }).metrics).toMatchObject({ enabled: false, publicPort: "off" });
  });
});
