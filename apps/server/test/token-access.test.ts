import { randomUUID } from "node:crypto";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyringOf } from "../src/keys/vault";
import { InvalidAccessToken, verifyAccessToken } from "../src/token/access";
import { SigningKeyStore } from "../src/token/keys";
import { ADMIN, Client, connectionBody, createTestApp, DEV_ISSUER_URL, PUBLIC_URL, type TestApp } from "./support/harness";

/**
 * `verifyAccessToken` (SPEC §6.5) on jose's `jwtVerify`: each way a token can be wrong is a 401
 * with its own message; a database that cannot be asked is not a verdict on the token (rethrown,
 * answered 503 by the callers).
 */
describe("access token verification (jwtVerify)", () => {
  let t: TestApp;
  let keys: SigningKeyStore;
  let connectionId: string;
  beforeAll(async () => {
    t = await createTestApp("pglite", { DEV_ISSUER: "1" });
    keys = new SigningKeyStore(
      () => t.deps.database.db,
      () => keyringOf(t.deps.env),
    );
    const admin = new Client(t.app);
    await admin.login(ADMIN);
    connectionId = (await admin.post("/api/orgs/octo-org/oidc-connections", connectionBody({ issuer: DEV_ISSUER_URL }))).body.id;
  });
  afterAll(() => t.close().catch(() => {}));

  const claims = () => ({ org: "octo-org", connection_id: connectionId, access: [], iat_ms: Date.now() });
  async function token(
    edit: { header?: Record<string, unknown>; claims?: Record<string, unknown>; aud?: string; iss?: string; exp?: number } = {},
  ) {
    const { kid, key } = await keys.signingKey();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims(), ...edit.claims })
      .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt", ...edit.header })
      .setIssuer(edit.iss ?? PUBLIC_URL)
      .setSubject("repo:octo-org/api:ref:refs/heads/main")
      .setAudience(edit.aud ?? PUBLIC_URL)
      .setIssuedAt(now)
      .setExpirationTime(edit.exp ?? now + 300)
      .setJti(randomUUID())
      .sign(key);
  }
  const verify = (jwt: string) => verifyAccessToken(jwt, t.deps.env, keys, t.deps.database);
  const refused = async (jwt: string, message: RegExp) => {
    const error = await verify(jwt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidAccessToken);
    expect((error as Error).message).toMatch(message);
  };

  it("accepts one of ours", async () => {
    expect(await verify(await token())).toMatchObject({ org: "octo-org", connection_id: connectionId });
  });

  it("refuses another audience or issuer, another typ, an expired token, missing claims, a foreign key, garbage", async () => {
    await refused(await token({ aud: "https://elsewhere.example" }), /not for this service/);
    await refused(await token({ iss: "https://elsewhere.example" }), /not for this service/);
    await refused(await token({ header: { typ: "JWT" } }), /not one of our access tokens/);
    await refused(await token({ exp: Math.floor(Date.now() / 1000) - 5 }), /expired/);
    await refused(await token({ claims: { connection_id: undefined } }), /malformed/);
    await refused(await token({ claims: { access: "all" } }), /malformed/);
    await refused(await token({ header: { kid: "no-such-key" } }), /unknown key/);
    const { privateKey } = await generateKeyPair("ES256");
    const { kid } = await keys.signingKey();
    const forged = await new SignJWT(claims())
      .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" })
      .setIssuer(PUBLIC_URL)
      .setAudience(PUBLIC_URL)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    await refused(forged, /Bad signature/);
    await refused("not-a-token", /malformed/);
  });

  it("a database that cannot be read is not a verdict on the token: the error is rethrown", async () => {
    const jwt = await token();
    const fresh = new SigningKeyStore(
      () => t.deps.database.db,
      () => keyringOf(t.deps.env),
    );
    await t.db.handle.close();
    const error = await verifyAccessToken(jwt, t.deps.env, fresh, t.deps.database).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(InvalidAccessToken);
  });
});
