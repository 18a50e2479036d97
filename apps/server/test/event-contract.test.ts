import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type AuditEvent, EVENT_TYPES, EventBodySchema, RecordedDenialReasonSchema } from "@oidc/shared";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN,
  Client,
  connectionBody,
  createTestApp,
  DB_KINDS,
  DEV_ISSUER_URL,
  exchangeParams,
  exchangeToken,
  mintIdToken,
  type TestApp,
} from "./support/harness";

/**
 * The event contract (packages/shared/src/schemas/events.ts) against the real server: events of
 * every type, and a `token.denied` for every reason the server records, produced through the HTTP
 * API, each parsed with the shared union. The union's objects strip keys they do not name, so a
 * parsed event that differs from the raw one is a field the server writes outside the contract.
 *
 * The events (ids and times normalised) are also the console's test input: the checked-in fixture
 * must equal what the server produces now.
 */
const FIXTURE = resolve(__dirname, "../../console/src/features/connections/components/__fixtures__/server-events.json");
const REGENERATE = "UPDATE_FIXTURES=1 pnpm --filter @oidc/server exec vitest run test/event-contract.test.ts";
/** An issuer nobody listens on (the discard port): its keys cannot be fetched. */
const DOWN_ISSUER = "http://127.0.0.1:9";
const CONNECTIONS = "/api/orgs/octo-org/oidc-connections";
const MAIN = "repo:octo-org/api:ref:refs/heads/main";
/** Fixed claims, so that the fixture does not change from run to run (the dev issuer draws these at random). */
const JOB = { run_id: "4242", sha: "0123456789abcdef0123456789abcdef01234567" };

type Scenario = string;

describe.each(DB_KINDS)("event contract (%s)", (kind) => {
  let t: TestApp;
  let admin: Client;
  /** One event per scenario, in the order they were produced. */
  const produced = new Map<Scenario, AuditEvent>();

  beforeAll(async () => {
    t = await createTestApp(kind, {
      DEV_ISSUER: "1",
      TRUSTED_ISSUERS: `https://token.actions.githubusercontent.com,${DOWN_ISSUER}`,
      TOKEN_RATE_LIMIT_IP: "0",
      TOKEN_RATE_LIMIT_CONNECTION: "2",
    });
    admin = new Client(t.app);
    await admin.login(ADMIN);
  });
  afterAll(() => t.close());

  /** A connection of its own per scenario: the per-connection limit (2 a minute) is only reached where meant. */
  async function connection(overrides: Record<string, unknown> = {}): Promise<string> {
    const created = await admin.post(
      CONNECTIONS,
      connectionBody({
        name: `Contract ${produced.size}-${Math.random().toString(36).slice(2, 6)}`,
        issuer: DEV_ISSUER_URL,
        rulesets: [{ label: "main", subject: MAIN, resources: ["octo-org/api"], scopes: ["pull", "push"] }],
        ...overrides,
      }),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id;
  }

  const orgEvents = async (): Promise<AuditEvent[]> => (await admin.get("/api/orgs/octo-org/events?limit=100")).body.items;
  const connectionEvents = async (id: string): Promise<AuditEvent[]> =>
    (await admin.get(`${CONNECTIONS}/${id}/events?limit=100`)).body.items;

  /** Keeps the newest event of `type` (of the connection, or of the org) under `scenario`. */
  async function keep(scenario: Scenario, type: string, connectionId?: string) {
    const events = connectionId ? await connectionEvents(connectionId) : await orgEvents();
    const event = events.find((e) => e.type === type);
    expect(event, `${scenario}: no ${type} event`).toBeDefined();
    produced.set(scenario, event as AuditEvent);
  }

  async function denied(reason: string, id: string, params: Record<string, string | undefined>) {
    const res = await exchangeToken(t.app, params);
    expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(400);
    const event = (await connectionEvents(id)).find((e) => e.type === "token.denied");
    expect(event?.reason, JSON.stringify(event)).toBe(reason);
    produced.set(`token.denied/${reason}`, event as AuditEvent);
  }

  const mint = (claims: Record<string, unknown> = {}) => mintIdToken(t.app, { ...JOB, ...claims });
  const now = () => Math.floor(Date.now() / 1000);
  /** A token's claims as the dev issuer gives them, re-signed with a key nobody trusts. */
  async function forged(header: Record<string, unknown>, claims: Record<string, unknown> = {}) {
    const { privateKey } = await generateKeyPair("RS256");
    const payload = JSON.parse(Buffer.from((await mint()).split(".")[1] as string, "base64url").toString());
    return new SignJWT({ ...payload, ...claims }).setProtectedHeader({ alg: "RS256", kid: "k", ...header }).sign(privateKey);
  }
  const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

  it("produces every event type and every recorded denial reason through the API", async () => {
    // Connections: created, updated, deactivated, activated, deleted.
    const id = await connection({ name: "Contract changes" });
    await keep("connection.created", "connection.created", id);
    const rulesets = (await admin.get(`${CONNECTIONS}/${id}`)).body.rulesets;
    const patched = await admin.patch(
      `${CONNECTIONS}/${id}`,
      {
        name: "Contract changed",
        description: "Deploys",
        maxTokenTtlSeconds: 900,
        rulesets: [
          { ...rulesets[0], scopes: ["pull"] },
          { label: "tags", subject: "repo:octo-org/api:ref:refs/tags/*", resources: ["octo-org/api"], scopes: ["pull"] },
        ].map(({ id: rulesetId, label, subject, conditions, resources, scopes, mode, expiresAt }) => ({
          ...(rulesetId ? { id: rulesetId } : {}),
          label,
          subject,
          conditions,
          resources,
          scopes,
          mode,
          expiresAt,
        })),
      },
      { "if-match": '"1"' },
    );
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    await keep("connection.updated", "connection.updated", id);
    expect((await admin.post(`${CONNECTIONS}/${id}/deactivate`)).status).toBe(200);
    await keep("connection.deactivated", "connection.deactivated", id);
    // A refusal of an inactive connection, before it comes back.
    await denied("connection_inactive", id, exchangeParams(id, await mint()));
    expect((await admin.post(`${CONNECTIONS}/${id}/activate`)).status).toBe(200);
    await keep("connection.activated", "connection.activated", id);
    expect((await admin.delete(`${CONNECTIONS}/${id}`)).status).toBe(204);
    await keep("connection.deleted", "connection.deleted");

    // Exchanges: allowed (with an audit ruleset that matches too), the repository's first use, a registry token.
    const live = await connection({
      rulesets: [
        { label: "main", subject: MAIN, resources: ["octo-org/api"], scopes: ["pull", "push"] },
        { label: "watch", subject: "repo:octo-org/*", resources: ["octo-org/api"], scopes: ["pull"], mode: "audit" },
      ],
    });
    const exchanged = await exchangeToken(t.app, exchangeParams(live, await mint(), { expires_in: "900" }));
    expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
    await keep("token.exchanged", "token.exchanged", live);
    await keep("token.first_use", "token.first_use", live);
    const basic = `Basic ${Buffer.from(`octo-org:${exchanged.body.access_token}`).toString("base64")}`;
    const registry = await t.app.request("/registry/token?service=localhost:3000&scope=repository:octo-org/api:pull,push", {
      headers: { authorization: basic },
    });
    expect(registry.status, await registry.clone().text()).toBe(200);
    await keep("registry.token", "registry.token", live);

    // Every reason a token.denied event carries, each on a connection of its own.
    const replayed = await mint();
    const replay = await connection();
    expect((await exchangeToken(t.app, exchangeParams(replay, replayed))).status).toBe(200);
    await denied("replay", replay, exchangeParams(replay, replayed));
    const limited = await connection();
    for (let i = 0; i < 2; i++)
      await exchangeToken(t.app, exchangeParams(limited, await mint({ sub: "repo:octo-org/web:ref:refs/heads/x" })));
    await denied("rate_limited", limited, exchangeParams(limited, await mint()));
    const c1 = await connection();
    await denied("malformed_request", c1, { ...exchangeParams(c1, await mint()), subject_token_type: "urn:example:other" });
    const c2 = await connection();
    await denied("malformed_token", c2, exchangeParams(c2, "not-a-token"));
    const c3 = await connection();
    await denied("unsupported_token", c3, exchangeParams(c3, `${segment({ alg: "HS256", kid: "k" })}.${segment({ sub: MAIN })}.c2ln`));
    const c4 = await connection();
    const kid = ((await (await t.app.request("/dev-issuer/.well-known/jwks")).json()) as { keys: { kid: string }[] }).keys[0]?.kid;
    await denied("bad_signature", c4, exchangeParams(c4, await forged({ kid })));
    const c5 = await connection();
    await denied("unknown_key", c5, exchangeParams(c5, await forged({ kid: "nobody-has-this-key" })));
    const c6 = await connection();
    await denied("expired", c6, exchangeParams(c6, await mint({ iat: now() - 900, exp: now() - 600 })));
    const c7 = await connection();
    await denied("not_yet_valid", c7, exchangeParams(c7, await mint({ nbf: now() + 600 })));
    const c8 = await connection();
    await denied("too_old", c8, exchangeParams(c8, await mint({ iat: now() - 86_400, exp: now() + 600 })));
    const c9 = await connection();
    await denied("missing_claim", c9, exchangeParams(c9, await mint({ jti: null })));
    const c10 = await connection({ issuer: "https://token.actions.githubusercontent.com" });
    await denied("untrusted_issuer", c10, exchangeParams(c10, await mint()));
    const c11 = await connection();
    await denied("audience_mismatch", c11, exchangeParams(c11, await mint({ aud: "https://elsewhere.example" })));
    const c12 = await connection();
    await denied("no_matching_ruleset", c12, exchangeParams(c12, await mint({ sub: "repo:octo-org/api:pull_request" })));
    const c13 = await connection({
      rulesets: [
        {
          label: "temp",
          subject: MAIN,
          resources: ["octo-org/api"],
          scopes: ["pull"],
          expiresAt: new Date(Date.now() + 1500).toISOString(),
        },
      ],
    });
    await new Promise((r) => setTimeout(r, 1600));
    await denied("ruleset_expired", c13, exchangeParams(c13, await mint()));
    const c14 = await connection();
    await denied("invalid_target", c14, exchangeParams(c14, await mint(), { audience: "https://elsewhere.example" }));
    const c15 = await connection({ issuer: DOWN_ISSUER });
    await denied("issuer_unavailable", c15, exchangeParams(c15, await forged({}, { iss: DOWN_ISSUER })));

    // Organisation: policy, API tokens, webhooks.
    const policy = await admin.request("PUT", "/api/orgs/octo-org/policy", {
      json: { requireImmutableSubjects: false, requireGateForWrites: false, forbidPullRequestWrites: true, maxTokenTtlSeconds: 1800 },
      headers: { "if-match": '"0"' },
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    await keep("policy.updated", "policy.updated");
    const token = await admin.post("/api/orgs/octo-org/api-tokens", { name: "CI", role: "member", expiresInDays: 30 });
    expect(token.status, JSON.stringify(token.body)).toBe(201);
    await keep("api_token.created", "api_token.created");
    expect((await admin.delete(`/api/orgs/octo-org/api-tokens/${token.body.id}`)).status).toBe(204);
    await keep("api_token.deleted", "api_token.deleted");
    const hook = { url: "http://127.0.0.1:9/hook", events: ["token.denied", "token.first_use"] };
    expect((await admin.request("PUT", "/api/orgs/octo-org/webhook", { json: hook })).status).toBe(201);
    await keep("webhook.created", "webhook.created");
    expect((await admin.request("PUT", "/api/orgs/octo-org/webhook", { json: { ...hook, events: ["token.denied"] } })).status).toBe(200);
    await keep("webhook.updated", "webhook.updated");
    expect((await admin.post("/api/orgs/octo-org/webhook/rotate-secret")).status).toBe(200);
    await keep("webhook.secret_rotated", "webhook.secret_rotated");
    expect((await admin.delete("/api/orgs/octo-org/webhook")).status).toBe(204);
    await keep("webhook.deleted", "webhook.deleted");
  });

  it("covers every event type and every recorded denial reason", () => {
    const scenarios = [...produced.keys()];
    expect(EVENT_TYPES.filter((type) => !scenarios.some((s) => s === type || s.startsWith(`${type}/`)))).toEqual([]);
    expect(RecordedDenialReasonSchema.options.filter((reason) => !produced.has(`token.denied/${reason}`))).toEqual([]);
  });

  it("every event parses with the shared union, with no field outside it", () => {
    for (const [scenario, event] of produced) {
      const body = { type: event.type, outcome: event.outcome, reason: event.reason, details: event.details };
      const parsed = EventBodySchema.safeParse(body);
      expect(parsed.error?.issues, `${scenario}: ${JSON.stringify(event)}`).toBeUndefined();
      // Parsing strips keys the contract does not name: what is left must be all there was.
      expect(parsed.data, scenario).toEqual(body);
    }
  });

  it.runIf(kind === "pglite")(`matches the console's fixture (regenerate: ${REGENERATE})`, () => {
    const current = `${JSON.stringify(normalise(Object.fromEntries(produced)), null, 2)}\n`;
    if (process.env.UPDATE_FIXTURES === "1") {
      mkdirSync(dirname(FIXTURE), { recursive: true });
      writeFileSync(FIXTURE, current);
    }
    const checkedIn = existsSync(FIXTURE) ? readFileSync(FIXTURE, "utf8") : "null";
    expect(
      JSON.parse(checkedIn),
      `${FIXTURE} differs from the events the server produces now; if the change is meant, regenerate it: ${REGENERATE}`,
    ).toEqual(JSON.parse(current));
  });
});

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g;

/**
 * Ids and times out: every UUID becomes `uuid-N` (numbered by first appearance, so the same id
 * stays the same), every timestamp `2026-01-01T00:00:00.000Z`, event ids their position, and
 * names with a random part (`Contract 3-ab12`) lose it.
 */
function normalise(value: Record<string, AuditEvent>): unknown {
  const ids = new Map<string, string>();
  let position = 0;
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === "string")
      return v
        .replace(UUID, (u) => {
          const lower = u.toLowerCase();
          if (!ids.has(lower)) ids.set(lower, `00000000-0000-4000-8000-${String(ids.size + 1).padStart(12, "0")}`);
          return ids.get(lower) as string;
        })
        .replace(TIME, "2026-01-01T00:00:00.000Z")
        .replace(/(Contract \d+)-[a-z0-9]{1,4}/g, "$1")
        .replace(/more than \d+ s ago/, "more than N s ago");
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = k === "id" && key === "event" ? String(++position) : walk(x, k);
      return out;
    }
    return v;
  };
  return Object.fromEntries(Object.entries(value).map(([scenario, event]) => [scenario, walk(event, "event")]));
}
