/** SPEC §11: audit mode, expiry, organisation policy — over the API and the token endpoint, on both databases. */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, issuePaths, query } from "./admin-support";
import {
  ADMIN,
  type Client,
  connectionBody,
  createExchangeFixture,
  DB_KINDS,
  DEV_ISSUER_URL,
  type ExchangeFixture,
  type TestApp,
} from "./support/harness";

const ORG = "/api/orgs/octo-org";
const CONNECTIONS = `${ORG}/oidc-connections`;
const POLICY = `${ORG}/policy`;
const MAIN = "repo:octo-org/api:ref:refs/heads/main";
const IMMUTABLE = "repo:octo-org@1234567/api@*:ref:refs/heads/main";
const DEFAULTS = { requireImmutableSubjects: false, requireGateForWrites: false, forbidPullRequestWrites: false, maxTokenTtlSeconds: 3600 };
const inDays = (d: number) => new Date(Date.now() + d * 24 * 3600 * 1000).toISOString();

describe.each(DB_KINDS)("safer rulesets (%s)", (kind) => {
  let f: ExchangeFixture;
  let t: TestApp;
  let admin: Client;
  let viewer: Client;

  beforeAll(async () => {
    f = await createExchangeFixture(kind);
    ({ t, admin, viewer } = f);
  });
  afterAll(() => t.close());

  /** Puts the policy with the current ETag. */
  async function setPolicy(settings: Partial<typeof DEFAULTS>) {
    const current = await admin.get(POLICY);
    const res = await admin.request("PUT", POLICY, {
      json: { ...DEFAULTS, ...settings },
      headers: { "if-match": current.headers.get("etag") ?? "" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res;
  }

  const create = async (rulesets: unknown[], extra: Record<string, unknown> = {}) =>
    admin.post(CONNECTIONS, connectionBody({ issuer: DEV_ISSUER_URL, rulesets, ...extra }));
  const exchange = async (connectionId: string, claims: Record<string, unknown> = {}, extra: Record<string, string> = {}) =>
    f.exchange(connectionId, claims, extra);
  /** The newest exchange or denial (a first exchange of a repository also writes token.first_use, SPEC §12). */
  const lastEvent = async (connectionId: string) =>
    ((await admin.get(`${CONNECTIONS}/${connectionId}/events?limit=5`)).body.items as { type: string }[]).find(
      (e) => e.type !== "token.first_use",
    ) as {
      type: string;
      reason: string | null;
      details: any;
    };

  describe("organisation policy", () => {
    it("GET for members (defaults, version 0), PUT for owners only, If-Match 428/412, policy.updated with before/after", async () => {
      const initial = await viewer.get(POLICY);
      expect(initial.status).toBe(200);
      expect(initial.body).toEqual({ ...DEFAULTS, version: 0, updatedAt: null, updatedBy: null });
      expect(initial.headers.get("etag")).toBe('"0"');

      const asMember = await viewer.request("PUT", POLICY, { json: DEFAULTS, headers: { "if-match": '"0"' } });
      expectError(asMember, 403, "forbidden");
      expectError(await admin.request("PUT", POLICY, { json: DEFAULTS }), 428, "precondition_required");
      expectError(await admin.request("PUT", POLICY, { json: DEFAULTS, headers: { "if-match": '"7"' } }), 412, "precondition_failed");
      const bad = await admin.request("PUT", POLICY, {
        json: { ...DEFAULTS, maxTokenTtlSeconds: 100, extra: 1 },
        headers: { "if-match": '"0"' },
      });
      expectError(bad, 400, "validation_failed");
      expect(issuePaths(bad)).toEqual(expect.arrayContaining([["maxTokenTtlSeconds"], ["extra"]]));

      const put = await admin.request("PUT", POLICY, { json: { ...DEFAULTS, maxTokenTtlSeconds: 900 }, headers: { "if-match": '"0"' } });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ maxTokenTtlSeconds: 900, version: 1, updatedBy: { email: ADMIN } });
      expect(put.headers.get("etag")).toBe('"1"');
      // The old ETag is now stale.
      expectError(await admin.request("PUT", POLICY, { json: DEFAULTS, headers: { "if-match": '"0"' } }), 412, "precondition_failed");

      const [event] = await query<{ type: string; connection_id: string | null; details: any }>(
        t,
        sql`select type, connection_id, details from events where type = 'policy.updated' order by id desc limit 1`,
      );
      expect(event).toMatchObject({
        connection_id: null,
        details: { version: 1, before: DEFAULTS, after: { ...DEFAULTS, maxTokenTtlSeconds: 900 } },
      });
      expect(event?.details.changes).toEqual({ maxTokenTtlSeconds: { before: 3600, after: 900 } });
      await setPolicy(DEFAULTS);
    });

    it("create and PATCH that break the policy: 400 policy_violation with issues at each ruleset, saying what to write", async () => {
      await setPolicy({ requireImmutableSubjects: true, requireGateForWrites: true, forbidPullRequestWrites: true });
      try {
        const res = await create([
          { label: "ok", subject: IMMUTABLE, resources: ["octo-org/api"], scopes: ["pull", "push"] },
          { label: "name-only", subject: MAIN, resources: ["octo-org/api"], scopes: ["pull"] },
          { label: "any", subject: "repo:octo-org@1234567/api@*:*", resources: ["octo-org/api"], scopes: ["pull", "push"] },
        ]);
        expectError(res, 400, "policy_violation");
        expect(issuePaths(res)).toEqual([
          ["rulesets", 1, "subject"],
          ["rulesets", 2, "subject"],
          ["rulesets", 2, "subject"],
        ]);
        // The org's owner ID is known: the advice is the rewritten subject.
        expect(res.body.error.issues[0].message).toContain(IMMUTABLE);
        expect((await admin.get(CONNECTIONS)).body.items.map((c: any) => c.name)).not.toContain(res.body.name);

        // An audit ruleset is not judged until it is enforced; then the edit is refused at the field.
        const audited = await create([
          { label: "ok", subject: IMMUTABLE, resources: ["octo-org/api"], scopes: ["pull"] },
          { label: "try", subject: MAIN, resources: ["octo-org/api"], scopes: ["pull"], mode: "audit" },
        ]);
        expect(audited.status, JSON.stringify(audited.body)).toBe(201);
        const enforce = await admin.patch(
          `${CONNECTIONS}/${audited.body.id}`,
          { rulesets: audited.body.rulesets.map(({ lastUsedAt: _, ...r }: any) => ({ ...r, mode: "enforce" })) },
          { "if-match": audited.headers.get("etag") ?? "" },
        );
        expectError(enforce, 400, "policy_violation");
        expect(issuePaths(enforce)).toEqual([["rulesets", 1, "subject"]]);
      } finally {
        await setPolicy(DEFAULTS);
      }
    });

    it("connections saved before a policy are flagged in the list and on their page", async () => {
      const created = await create([{ label: "main", subject: MAIN, resources: ["octo-org/api"], scopes: ["pull", "push"] }]);
      expect(created.body.policyViolations).toEqual([]);
      await setPolicy({ requireImmutableSubjects: true });
      try {
        const page = await admin.get(`${CONNECTIONS}/${created.body.id}`);
        expect(page.body.policyViolations).toEqual([
          // With the org's owner ID in the advice, as on a refused save.
          { setting: "requireImmutableSubjects", path: ["rulesets", 0, "subject"], message: expect.stringContaining(IMMUTABLE) },
        ]);
        const list = await admin.get(`${CONNECTIONS}?limit=100`);
        const item = list.body.items.find((c: any) => c.id === created.body.id);
        expect(item.policyViolations.map((v: any) => v.setting)).toEqual(["requireImmutableSubjects"]);
        expect(item.policyViolations[0].message).toContain(IMMUTABLE);
        // The dry run (members too) says the same before anything is saved, and which connections the TTL cap shortens.
        const dry = await viewer.post(`${POLICY}/dry-run`, { ...DEFAULTS, requireImmutableSubjects: true, maxTokenTtlSeconds: 300 });
        expect(dry.status).toBe(200);
        expect(dry.body.flagged.find((f: any) => f.id === created.body.id)?.violations.map((v: any) => v.setting)).toEqual([
          "requireImmutableSubjects",
        ]);
        expect(dry.body.capped.map((f: any) => f.id)).toContain(created.body.id);
        // Renaming alone does not judge the rulesets it does not touch.
        const renamed = await admin.patch(`${CONNECTIONS}/${created.body.id}`, { name: `${created.body.name} x` }, { "if-match": '"1"' });
        expect(renamed.status).toBe(200);
      } finally {
        await setPolicy(DEFAULTS);
      }
      expect((await admin.get(`${CONNECTIONS}/${created.body.id}`)).body.policyViolations).toEqual([]);
    });

    it("the policy's TTL caps tokens at exchange time (min of the connection's and the policy's)", async () => {
      const c = await create([{ label: "main", subject: MAIN, resources: ["octo-org/api"], scopes: ["pull"] }], {
        maxTokenTtlSeconds: 1800,
      });
      const before = await exchange(c.body.id, {}, { expires_in: "3600" });
      expect(before.body.expires_in).toBe(1800);
      // The exchange above cached the configuration; the policy change drops it at once.
      await setPolicy({ maxTokenTtlSeconds: 600 });
      try {
        const after = await exchange(c.body.id, {}, { expires_in: "3600" });
        expect(after.status).toBe(200);
        expect(after.body.expires_in).toBe(600);
        expect((await exchange(c.body.id, {}, { expires_in: "300" })).body.expires_in).toBe(300);
      } finally {
        await setPolicy(DEFAULTS);
      }
    });

    it("a policy change racing connection saves: no save that breaks the policy commits after it", async () => {
      const rounds = kind === "postgres" ? 8 : 3;
      for (let round = 0; round < rounds; round++) {
        const etag = (await admin.get(POLICY)).headers.get("etag") ?? "";
        const saves = Array.from({ length: 4 }, (_, i) =>
          admin.post(
            CONNECTIONS,
            connectionBody({
              name: `race ${round}-${i}`,
              rulesets: [{ label: "m", subject: MAIN, resources: ["octo-org/api"], scopes: ["pull"] }],
            }),
          ),
        );
        const put = admin.request("PUT", POLICY, { json: { ...DEFAULTS, requireImmutableSubjects: true }, headers: { "if-match": etag } });
        const [policy, ...results] = await Promise.all([put, ...saves]);
        expect(policy.status).toBe(200);
        for (const r of results) expect([201, 400]).toContain(r.status);
        for (const r of results.filter((x) => x.status === 400)) expect(r.body.error.code).toBe("policy_violation");
        // Every save that committed did so before the policy change (its event comes first).
        const rows = await query<{ created: number; policy: number }>(
          t,
          sql`select max(c.id)::int as created, (select max(id)::int from events where type = 'policy.updated') as policy
              from events c where c.type = 'connection.created' and c.details->>'name' like ${`race ${round}-%`}`,
        );
        const row = rows[0];
        if (row?.created != null) expect(row.created).toBeLessThan(Number(row.policy));
        await setPolicy(DEFAULTS);
      }
    });
  });

  describe("audit mode", () => {
    it("never grants; token.exchanged and token.denied carry details.audit; the summary counts them per ruleset", async () => {
      const c = await create([
        { label: "main", subject: MAIN, resources: ["octo-org/api"], scopes: ["pull"] },
        {
          label: "narrow",
          subject: MAIN,
          conditions: [{ claim: "workflow", pattern: "Release" }],
          resources: ["octo-org/docs"],
          scopes: ["pull", "push"],
          mode: "audit",
        },
        { label: "dev", subject: "repo:octo-org/api:ref:refs/heads/dev", resources: ["octo-org/api"], scopes: ["pull"], mode: "audit" },
      ]);
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      expect(c.body.rulesets.map((r: any) => r.mode)).toEqual(["enforce", "audit", "audit"]);

      const granted = await exchange(c.body.id, { workflow: "Release" });
      expect(granted.status).toBe(200);
      expect(granted.body.scope).toBe("repository:octo-org/api:pull");
      expect(await lastEvent(c.body.id)).toMatchObject({ type: "token.exchanged", details: { rulesets: ["main"], audit: ["narrow"] } });

      const denied = await exchange(c.body.id, { sub: "repo:octo-org/api:ref:refs/heads/dev", ref: "refs/heads/dev" });
      expect(denied.status).toBe(400);
      expect(await lastEvent(c.body.id)).toMatchObject({
        type: "token.denied",
        reason: "no_matching_ruleset",
        details: { audit: ["dev"] },
      });

      // Not matched by any audit ruleset: no audit key at all.
      await exchange(c.body.id, { workflow: "Other" });
      expect((await lastEvent(c.body.id)).details.audit).toBeUndefined();

      const summary = await admin.get(`${CONNECTIONS}/${c.body.id}/audit`);
      expect(summary.status).toBe(200);
      expect(summary.body.rulesets).toEqual([
        { id: c.body.rulesets[1].id, label: "narrow", matches: 1, lastMatchedAt: expect.any(String), repositories: ["octo-org/api"] },
        { id: c.body.rulesets[2].id, label: "dev", matches: 1, lastMatchedAt: expect.any(String), repositories: ["octo-org/api"] },
      ]);

      // The simulate endpoint decides alike.
      const sim = await admin.post(`${CONNECTIONS}/${c.body.id}/simulate`, { claims: { sub: MAIN, workflow: "Release" } });
      expect(sim.body).toMatchObject({ allowed: true, matched: ["main"], audit: ["narrow"] });

      // The summary reads through the partial index: with much unaudited traffic on the connection,
      // PostgreSQL's planner picks events_audit_idx over the connection's index.
      if (kind === "postgres") {
        await query(
          t,
          sql`insert into events (org_id, connection_id, type, actor_type, actor_name, outcome, details)
              select org_id, connection_id, 'token.exchanged', 'workflow', 'w', 'success', '{"rulesets":["main"]}'::jsonb
              from events, generate_series(1, 20000) where connection_id = ${c.body.id}::uuid limit 20000`,
        );
        await query(t, sql`analyze events`);
        const plan = (await t.deps.database.db.transaction(async (tx) => {
          await tx.execute(sql`set local enable_seqscan = off`);
          return tx.execute(
            sql`explain select count(*) from events where connection_id = ${c.body.id}::uuid and (details -> 'audit') is not null and created_at >= now() - interval '30 days'`,
          );
        })) as unknown as Record<string, string>[];
        expect(plan.map((p) => Object.values(p)[0]).join("\n"), JSON.stringify(plan)).toContain("events_audit_idx");
      }
    });
  });

  describe("expiry", () => {
    it("must be in the future when set; an unchanged past expiry may stay in a PATCH", async () => {
      const past = await create([{ label: "m", subject: MAIN, resources: ["octo-org/api"], scopes: ["pull"], expiresAt: inDays(-1) }]);
      expectError(past, 400, "validation_failed");
      expect(issuePaths(past)).toEqual([["rulesets", 0, "expiresAt"]]);
      const malformed = await create([{ label: "m", subject: MAIN, resources: ["octo-org/api"], scopes: ["pull"], expiresAt: "tomorrow" }]);
      expect(issuePaths(malformed)).toEqual([["rulesets", 0, "expiresAt"]]);

      const c = await create([{ label: "m", subject: MAIN, resources: ["octo-org/api"], scopes: ["pull"], expiresAt: inDays(3) }]);
      expect(c.status).toBe(201);
      expect(c.body.warnings[0].map((w: any) => w.code)).toContain("expires_soon");
      // Let it pass by SQL, as time would.
      await query(t, sql`update rulesets set expires_at = now() - interval '1 hour' where connection_id = ${c.body.id}::uuid`);
      const got = await admin.get(`${CONNECTIONS}/${c.body.id}`);
      expect(got.body.warnings[0].map((w: any) => w.code)).toContain("expired");
      const kept = got.body.rulesets.map(({ lastUsedAt: _, ...r }: any) => r);
      const patched = await admin.patch(`${CONNECTIONS}/${c.body.id}`, { description: "x", rulesets: kept }, { "if-match": '"1"' });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      // Changing it to another past time is refused.
      const moved = await admin.patch(
        `${CONNECTIONS}/${c.body.id}`,
        { rulesets: [{ ...kept[0], expiresAt: inDays(-2) }] },
        { "if-match": '"2"' },
      );
      expect(issuePaths(moved)).toEqual([["rulesets", 0, "expiresAt"]]);
    });

    it("after expiry the ruleset grants nothing, also from the configuration cache; the admin sees ruleset_expired", async () => {
      const expiresAt = new Date(Date.now() + 2500).toISOString();
      const c = await create([
        { label: "temp", subject: MAIN, resources: ["octo-org/api"], scopes: ["pull"], expiresAt },
        { label: "other", subject: "repo:octo-org/web:ref:refs/heads/main", resources: ["octo-org/web"], scopes: ["pull"] },
      ]);
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      expect((await exchange(c.body.id)).status).toBe(200); // now cached for 30 s
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expiresAt) - Date.now()) + 50));
      const after = await exchange(c.body.id);
      expect(after.status).toBe(400);
      expect(after.body.error).toBe("invalid_grant");
      // The caller learns nothing of the configuration; the admin's event names the cause.
      expect(after.body.error_description).not.toMatch(/expir|temp/i);
      expect(await lastEvent(c.body.id)).toMatchObject({ type: "token.denied", reason: "ruleset_expired", details: { expired: ["temp"] } });
      const sim = await admin.post(`${CONNECTIONS}/${c.body.id}/simulate`, { claims: { sub: MAIN } });
      expect(sim.body).toMatchObject({ allowed: false, reason: "ruleset_expired", expired: ["temp"] });
    });
  });
});
