import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { runCli } from "../src/cli";
import { keyringOf } from "../src/keys/vault";
import {
  ADMIN,
  Client,
  connectionBody,
  createTestApp,
  DEV_ISSUER_URL,
  exchangeParams,
  exchangeToken,
  granted,
  mintIdToken,
  PUBLIC_URL,
  type TestApp,
} from "./support/harness";

describe("access-token signing keys", () => {
  let t: TestApp;
  let connectionId: string;

  beforeAll(async () => {
    t = await createTestApp("pglite", { DEV_ISSUER: "1", TOKEN_RATE_LIMIT_IP: "0" });
    const admin = new Client(t.app);
    await admin.login(ADMIN);
    connectionId = (await admin.post("/api/orgs/octo-org/oidc-connections", connectionBody({ name: "Keys", issuer: DEV_ISSUER_URL }))).body
      .id;
  });
  afterAll(() => t.close());

  const jwksOf = async (app: TestApp["app"]) =>
    (await (await app.request("/.well-known/jwks.json")).json()) as { keys: { kid: string; d?: string }[] };

  it("creates one key on first use and rotates with keys:rotate, keeping the old key published", async () => {
    const before = await exchangeToken(t.app, exchangeParams(connectionId, await mintIdToken(t.app)));
    expect(before.status).toBe(200);
    const oldKid = decodeProtectedHeader(granted(before).access_token).kid;
    const initial = await jwksOf(t.app);
    expect(initial.keys.map((k) => k.kid)).toEqual([oldKid]);
    expect(initial.keys[0]?.d).toBeUndefined();

    const lines: string[] = [];
    await runCli(
      t.db.handle,
      ["keys:rotate"],
      (line) => lines.push(line),
      undefined,
      () => keyringOf(t.deps.env),
    );
    expect(lines[0]).toMatch(/new signing key/);

    // Another process (a fresh app over the same database) sees the rotation at once; this one within a minute.
    const other = createApp(t.deps);
    const after = await exchangeToken(other, exchangeParams(connectionId, await mintIdToken(other)));
    expect(after.status).toBe(200);
    const newKid = decodeProtectedHeader(granted(after).access_token).kid;
    expect(newKid).not.toBe(oldKid);
    const published = await jwksOf(other);
    expect(published.keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());

    for (const token of [granted(before).access_token, granted(after).access_token]) {
      await jwtVerify(token, createLocalJWKSet(published as any), { issuer: PUBLIC_URL, audience: PUBLIC_URL });
      // Both apps accept both tokens: an unknown kid reloads the keys from the database.
      for (const app of [t.app, other]) {
        const res = await app.request("/api/v1/repositories/octo-org/api/access", { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
      }
    }
  });
});
