import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storable, toRow } from "../src/audit/events";
import { postgresArrays } from "../src/db/raw";
import { type ExchangeRecord, ExchangeRecorder, RecordRefused } from "../src/token/recorder";
import { query } from "./admin-support";
import {
  type Client,
  createExchangeFixture,
  DB_KINDS,
  DEV_ISSUER_URL,
  type ExchangeFixture,
  exchangeParams,
  exchangeToken,
  mintIdToken,
  type TestApp,
} from "./support/harness";

/** SPEC §13 "Hostile text" on the token side: claims holding NUL and other unstorable text. */
describe.each(DB_KINDS)("token exchange with hostile claims (%s)", (kind) => {
  let t: TestApp;
  let admin: Client;
  let connectionId: string;

  beforeAll(async () => {
    const f = await createExchangeFixture(kind);
    ({ t, admin } = f);
    connectionId = (
      await f.createConnection({
        name: "Hostile",
        issuer: DEV_ISSUER_URL,
        rulesets: [{ label: "any", subject: "repo:octo-org/*", resources: ["octo-org/api"], scopes: ["pull"] }],
      })
    ).id;
  });
  afterAll(() => t.close());

  const events = async () => (await admin.get(`/api/orgs/octo-org/oidc-connections/${connectionId}/events?limit=100`)).body.items as any[];
  const runIdOf = (e: any) => e.details.runId ?? e.details.job?.runId;

  it("exchanges a signed token whose claims hold NUL and lone surrogates; its event stores them as U+FFFD", async () => {
    const res = await exchangeToken(
      t.app,
      exchangeParams(
        connectionId,
        await mintIdToken(t.app, {
          run_id: "700001",
          workflow: "Release\u0000now",
          job_workflow_ref: "octo-org/api/.github/workflows/x.yml\ud800@refs/heads/main",
          jti: `jti-with-nul-\u0000-${Math.random()}`,
        }),
      ),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const event = (await events()).find((e) => e.type === "token.exchanged" && e.details.runId === "700001");
    expect(event.details.workflow).toBe("Release\ufffdnow");
    expect(event.actor.name).toBe("octo-org/api/.github/workflows/x.yml\ufffd@refs/heads/main");
  });

  it("refuses a replay of a token whose jti holds a NUL", async () => {
    const token = await mintIdToken(t.app, { jti: `replayed-\u0000-${Math.random()}` });
    expect((await exchangeToken(t.app, exchangeParams(connectionId, token))).status).toBe(200);
    const again = await exchangeToken(t.app, exchangeParams(connectionId, token));
    expect(again.status).toBe(400);
    expect(again.body.error_description).toMatch(/already used/);
  });

  it("records token.denied for a forged token with a NUL in its claims, and for a subject with a NUL", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const jwks = (await (await t.app.request("/dev-issuer/.well-known/jwks")).json()) as { keys: { kid: string }[] };
    const claims = JSON.parse(Buffer.from((await mintIdToken(t.app)).split(".")[1] as string, "base64url").toString());
    const forged = await new SignJWT({ ...claims, run_id: "700002", repository: "octo-org/api\u0000" })
      .setProtectedHeader({ alg: "RS256", kid: jwks.keys[0]?.kid as string })
      .sign(privateKey);
    const bad = await exchangeToken(t.app, exchangeParams(connectionId, forged));
    expect(bad.status).toBe(400);
    expect(bad.body.error_description).toMatch(/Bad signature/);
    const noMatch = await exchangeToken(
      t.app,
      exchangeParams(connectionId, await mintIdToken(t.app, { run_id: "700003", sub: "repo:other/\u0000x:ref:refs/heads/main" })),
    );
    expect(noMatch.status).toBe(400);
    expect(noMatch.body.error_description).toMatch(/No ruleset matches subject/);
    const denied = (await events()).filter((e) => e.type === "token.denied");
    expect(denied.find((e) => runIdOf(e) === "700002")).toMatchObject({
      reason: "bad_signature",
      details: { verified: false, job: { repository: "octo-org/api\ufffd" } },
    });
    expect(denied.find((e) => runIdOf(e) === "700003")).toMatchObject({
      reason: "no_matching_ruleset",
      // The description quotes the subject as JSON: the NUL is written as the six characters \u0000.
      details: { description: expect.stringContaining("repo:other/\\u0000x"), job: { sub: "repo:other/\ufffdx:ref:refs/heads/main" } },
    });
  });

  it("legitimate exchanges failed by poisoned ones sent at the same moment: 0", async () => {
    const LEGITIMATE = 90;
    const POISONED = 30;
    const legit = await Promise.all(Array.from({ length: LEGITIMATE }, () => mintIdToken(t.app)));
    const poisoned = await Promise.all(
      Array.from({ length: POISONED }, (_, i) =>
        mintIdToken(t.app, { workflow: `w\u0000${i}`, jti: `poison-\u0000-${i}-${Math.random()}`, ref_type: "\ud800" }),
      ),
    );
    const all = [...legit.map((token) => ({ token, legit: true })), ...poisoned.map((token) => ({ token, legit: false }))];
    all.sort(() => Math.random() - 0.5);
    const results = await Promise.all(
      all.map(async ({ token, legit }) => ({ legit, res: await exchangeToken(t.app, exchangeParams(connectionId, token)) })),
    );
    const failedLegit = results.filter((r) => r.legit && r.res.status !== 200).length;
    const poisonedAnswers = results.filter((r) => !r.legit).map((r) => r.res.status);
    console.log(
      `[${kind}] legitimate exchanges failed by a poisoned one in the same batch: ${failedLegit} of ${LEGITIMATE} (poisoned: ${POISONED}, answered ${[...new Set(poisonedAnswers)].join("/")})`,
    );
    expect(failedLegit).toBe(0);
    // The poisoned ones are storable too: exchanged, not a 503 that leaves their jti free to replay.
    expect(poisonedAnswers.every((s) => s === 200)).toBe(true);
  });

  it("a batch statement the database refuses is split until only the bad record fails", async () => {
    const [row] = await query<{ id: string; org_id: string; version: number }>(
      t,
      sql`select id, org_id, version from connections where id = ${connectionId}`,
    );
    if (!row) throw new Error("no connection");
    const expires = new Date(Date.now() + 600_000).toISOString();
    const record = (i: number, claimExpiresAt = expires): ExchangeRecord => ({
      connectionId: row.id,
      version: Number(row.version),
      issuer: DEV_ISSUER_URL,
      jti: `batch-${i}-${randomUUID()}`,
      claimExpiresAt,
      event: toRow({
        orgId: row.org_id,
        connectionId: row.id,
        type: "token.exchanged",
        actor: { type: "workflow", id: null, name: "batch test" },
        outcome: "success",
        details: {
          rulesets: [],
          access: [],
          repository: null,
          repositoryId: null,
          ref: null,
          sha: null,
          workflow: null,
          jobWorkflowRef: null,
          runId: `batch-${i}`,
          runAttempt: null,
          serverUrl: null,
          subject: null,
          expiresIn: 300,
          tokenId: `batch-${i}`,
          requestId: `batch-${i}`,
        },
      }),
    });
    // One in flight at a time: everything sent together after the first lands in one statement.
    const recorder = new ExchangeRecorder((q) => t.db.handle.db.execute(q), 1, postgresArrays(t.db.handle));
    const records = Array.from({ length: 41 }, (_, i) => (i === 23 ? record(i, "not a timestamp") : record(i)));
    const outcomes = await Promise.allSettled(records.map((r) => recorder.record(r)));
    const refused = outcomes.flatMap((o, i) => (o.status === "rejected" ? [i] : []));
    expect(refused).toEqual([23]);
    expect((outcomes[23] as PromiseRejectedResult).reason).toBeInstanceOf(RecordRefused);
    expect(outcomes.filter((o) => o.status === "fulfilled" && o.value.recorded && o.value.current)).toHaveLength(40);
    const [count] = await query<{ n: number }>(t, sql`select count(*)::int as n from used_jtis where jti like 'batch-%'`);
    expect(Number(count?.n)).toBe(40);
  });
});

describe("refusals past the per-connection rate limit", () => {
  let f: ExchangeFixture;
  beforeAll(async () => {
    f = await createExchangeFixture("pglite", { TOKEN_RATE_LIMIT_CONNECTION: "2" });
  });
  afterAll(() => f.t.close());

  it("are recorded once per limiter window as token.denied rate_limited, not once per request", async () => {
    const { admin } = f;
    const { id } = await f.createConnection({ name: "Limited", issuer: DEV_ISSUER_URL });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await f.exchange(id)).status);
    expect(statuses).toEqual([200, 200, 429, 429, 429, 429]);
    const events = (await admin.get(`/api/orgs/octo-org/oidc-connections/${id}/events`)).body.items as any[];
    expect(events.filter((e) => e.type === "token.denied")).toEqual([
      expect.objectContaining({ reason: "rate_limited", details: expect.objectContaining({ error: "invalid_request" }) }),
    ]);
  });
});

describe("storable (what events hold)", () => {
  it("replaces NUL and lone surrogates in strings and keys, through arrays and plain objects; leaves other values as they are", () => {
    const at = new Date("2026-11-22T18:00:00Z");
    expect(storable({ "k\u0000": ["a\u0000b", { c: "\ud800x", n: 1, ok: true, none: null, at }] })).toEqual({
      "k\ufffd": ["a\ufffdb", { c: "\ufffdx", n: 1, ok: true, none: null, at }],
    });
    expect((storable({ at }) as { at: unknown }).at).toBe(at);
    expect(storable("😀 \u00e9")).toBe("😀 \u00e9");
  });
});
