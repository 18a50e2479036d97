import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count, eq, sql } from "drizzle-orm";
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair } from "jose";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { runCli } from "../src/cli";
import { type DatabaseHandle, openDatabase } from "../src/db/client";
import { organizations, signingKeys } from "../src/db/schema";
import {
  asSealed,
  KEK_FILE,
  type Kek,
  type Keyring,
  KeyVaultError,
  keyringOf,
  openPrivateJwk,
  parseKek,
  sealPrivateJwk,
} from "../src/keys/vault";
import { registryCaName } from "../src/registry/service";
import { startServer } from "../src/server";
import {
  ensureDevIssuerKey,
  ensureRegistryCa,
  ensureSigningKey,
  rotateSigningKey,
  SigningKeyStore,
  sealKeysAtRest,
} from "../src/token/keys";
import {
  ADMIN,
  Client,
  connectionBody,
  createTestDatabase,
  DB_KINDS,
  DEV_ISSUER_URL,
  exchangeParams,
  exchangeToken,
  granted,
  mintIdToken,
  TEST_KEK,
  testEnv,
} from "./support/harness";

const kekText = (id: string) => `${id}:${randomBytes(32).toString("base64")}`;
const ring = (current: Kek, ...old: Kek[]): Keyring => ({ current, old, source: "KEY_ENCRYPTION_KEY" });
const testKek = parseKek(TEST_KEK);
const silent = pino({ level: "silent" });

/** A row as the server wrote it before keys were encrypted at rest: the private JWK in clear. */
async function insertClearKey(db: DatabaseHandle["db"], alg: "ES256" | "RS256", options: { prefix?: string; retired?: boolean } = {}) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = `${options.prefix ?? ""}${await calculateJwkThumbprint(publicJwk)}`;
  await db.insert(signingKeys).values({
    kid,
    alg,
    purpose: alg === "RS256" ? "dev-issuer" : "access",
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
    publicJwk: { ...publicJwk, kid, alg, use: "sig" },
    ...(options.retired ? { retiredAt: sql`now()`, publishUntil: sql`now() + interval '1 hour'` } : {}),
    ...(alg === "RS256" ? { publishUntil: sql`now()` } : {}),
  });
  return kid;
}

const rowsOf = (db: DatabaseHandle["db"]) =>
  db.select({ kid: signingKeys.kid, privateJwk: signingKeys.privateJwk }).from(signingKeys).orderBy(signingKeys.kid);

async function exchangeThrough(deps: Parameters<typeof createApp>[0]) {
  const app = createApp(deps);
  const admin = new Client(app);
  await admin.login(ADMIN);
  const created = await admin.post("/api/orgs/octo-org/oidc-connections", connectionBody({ issuer: DEV_ISSUER_URL }));
  expect(created.status).toBe(201);
  const idToken = await mintIdToken(app);
  const res = await exchangeToken(app, exchangeParams(created.body.id, idToken));
  expect(res.status).toBe(200);
  return { idTokenKid: decodeProtectedHeader(idToken).kid, accessTokenKid: decodeProtectedHeader(granted(res).access_token).kid };
}

// Each test starts a real server (migrations, the demo seed's scrypt hashes): slow on a busy machine.
describe.each(DB_KINDS)("private keys at rest (%s)", { timeout: 90_000 }, (kind) => {
  const env = (overrides: Record<string, string> = {}) =>
    testEnv({ PORT: "0", HOST: "127.0.0.1", DEV_ISSUER: "1", TOKEN_RATE_LIMIT_IP: "0", ...overrides });

  it("a copy of the database alone cannot mint a token: no private key material is stored, a wrong KEK opens nothing", async () => {
    const db = await createTestDatabase(kind);
    const started = await startServer(env(), silent, db.handle);
    try {
      await exchangeThrough(started.deps);
      const keyring = keyringOf(started.deps.env);
      await rotateSigningKey(db.handle.db, keyring);
      const rows = await rowsOf(db.handle.db);
      expect(rows).toHaveLength(4); // the retired and the current access-token key, the dev issuer's key, the registry CA's key

      const [withD] = await db.handle.db.select({ n: count() }).from(signingKeys).where(sql`jsonb_exists(${signingKeys.privateJwk}, 'd')`);
      expect(withD?.n).toBe(0);
      for (const row of rows) {
        expect(asSealed(row.privateJwk)?.kek).toBe(testKek.id);
        const secret = openPrivateJwk(row.privateJwk, keyring, row.kid);
        for (const field of ["d", "p", "q", "dp", "dq", "qi"]) {
          if (typeof secret[field] === "string") expect(JSON.stringify(rows)).not.toContain(secret[field]);
        }
        // Another key under the same id, or another id: nothing opens.
        expect(() => openPrivateJwk(row.privateJwk, ring(parseKek(kekText(testKek.id))), row.kid)).toThrow(KeyVaultError);
        expect(() => openPrivateJwk(row.privateJwk, ring(parseKek(kekText("thief"))), row.kid)).toThrow(
          `sealed under key-encryption key "${testKek.id}"`,
        );
      }
      // Nor can the server's own code sign with the database and a wrong key.
      const thief = new SigningKeyStore(
        () => db.handle.db,
        () => ring(parseKek(kekText(testKek.id))),
      );
      await expect(thief.signingKey()).rejects.toThrow(/not the one that sealed it/);
      await expect(ensureDevIssuerKey(db.handle.db, ring(parseKek(kekText("thief"))))).rejects.toThrow(KeyVaultError);
    } finally {
      await started.stop(1000);
      if (db.url) await db.drop().catch(() => {});
    }
  });

  it("first start after the upgrade seals the keys stored in clear, keeps their kids and creates no new signing key", async () => {
    const db = await createTestDatabase(kind);
    const current = await insertClearKey(db.handle.db, "ES256");
    const retired = await insertClearKey(db.handle.db, "ES256", { retired: true });
    const dev = await insertClearKey(db.handle.db, "RS256", { prefix: "dev-" });
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
    const started = await startServer(env(), log, db.handle);
    try {
      const rows = await rowsOf(db.handle.db);
      // The registry CA (SPEC §9) is new in this version: created at this start, sealed like the rest.
      expect(
        rows
          .map((r) => r.kid)
          .filter((kid) => !kid.startsWith("ca-"))
          .sort(),
      ).toEqual([current, retired, dev].sort());
      expect(rows.filter((r) => r.kid.startsWith("ca-"))).toHaveLength(1);
      for (const row of rows) expect(asSealed(row.privateJwk)?.kek).toBe(testKek.id);
      const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "signing keys sealed at rest");
      expect(logged).toMatchObject({ kek: testKek.id, kekSource: "KEY_ENCRYPTION_KEY", sealed: 3 });
      // The same keys keep signing: tokens issued before the upgrade stay verifiable, new ones use the same kid.
      expect(await exchangeThrough(started.deps)).toEqual({ idTokenKid: dev, accessTokenKid: current });
      // A second start has nothing left to seal.
      expect(await sealKeysAtRest(db.handle.db, keyringOf(started.deps.env))).toEqual({ sealed: [], underOldKeys: 0 });
    } finally {
      await started.stop(1000);
      if (db.url) await db.drop().catch(() => {});
    }
  });

  it("two processes starting together seal each clear key exactly once", async () => {
    const db = await createTestDatabase(kind);
    const second = db.url ? await openDatabase({ databaseUrl: db.url, dataDir: "unused", poolSize: 2 }) : db.handle;
    try {
      const kids = [await insertClearKey(db.handle.db, "ES256"), await insertClearKey(db.handle.db, "ES256", { retired: true })];
      const keyring = ring(testKek);
      // Both connections open before the race, so neither finishes before the other has looked.
      await Promise.all([db.handle.ping(), second.ping()]);
      const [a, b] = await Promise.all([sealKeysAtRest(db.handle.db, keyring), sealKeysAtRest(second.db, keyring)]);
      expect([...a.sealed, ...b.sealed].sort()).toEqual([...kids].sort());
      for (const row of await rowsOf(db.handle.db)) expect(openPrivateJwk(row.privateJwk, keyring, row.kid)).toHaveProperty("d");
    } finally {
      if (second !== db.handle) await second.close();
      await db.drop();
    }
  });

  it("a key the configured KEK cannot open stops start-up, naming the KEK id it needs, and nothing is created or changed", async () => {
    const db = await createTestDatabase(kind);
    const original = ring(testKek);
    await ensureSigningKey(db.handle.db, original);
    await ensureDevIssuerKey(db.handle.db, original);
    await ensureRegistryCa(db.handle.db, registryCaName(env()), original);
    const before = await rowsOf(db.handle.db);

    await expect(startServer(env({ KEY_ENCRYPTION_KEY: kekText("unrelated") }), silent, db.handle)).rejects.toThrow(
      new RegExp(`Cannot open 3 of the 3 private keys in signing_keys \\(key-encryption key needed: "${testKek.id}"\\)\\. Refusing`),
    );
    await expect(startServer(env({ KEY_ENCRYPTION_KEY: kekText(testKek.id) }), silent, db.handle)).rejects.toThrow(
      /not the one that sealed it/,
    );
    expect(await rowsOf(db.handle.db)).toEqual(before);
    // Refused before the demo seed, which would print a generated password only once.
    expect(await db.handle.db.select({ n: count() }).from(organizations)).toEqual([{ n: 0 }]);
    // keys:rotate with a KEK the stored keys do not know would seal a key the servers cannot open.
    await expect(
      runCli(
        db.handle,
        ["keys:rotate"],
        () => {},
        undefined,
        () => ring(parseKek(kekText("unrelated"))),
      ),
    ).rejects.toThrow(`key-encryption key needed: "${testKek.id}"`);
    expect(await rowsOf(db.handle.db)).toEqual(before);

    // Moving to a new KEK: the old one listed in KEY_ENCRYPTION_KEYS_OLD still opens; start-up says to rewrap.
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
    const started = await startServer(env({ KEY_ENCRYPTION_KEY: kekText("next"), KEY_ENCRYPTION_KEYS_OLD: TEST_KEK }), log, db.handle);
    try {
      expect(lines.map((l) => JSON.parse(l)).find((l) => l.level === 40)).toMatchObject({
        keys: 3,
        msg: "signing keys sealed under an old key-encryption key: run keys:rewrap",
      });
      await exchangeThrough(started.deps);
      expect(await rowsOf(db.handle.db)).toEqual(before);
    } finally {
      await started.stop(1000);
      if (db.url) await db.drop().catch(() => {});
    }
  });

  it("keys:rewrap re-seals every key under the current KEK in one transaction; running it again changes nothing", async () => {
    const db = await createTestDatabase(kind);
    try {
      const a = parseKek(kekText("kek-a"));
      const b = parseKek(kekText("kek-b"));
      await ensureSigningKey(db.handle.db, ring(a));
      await ensureDevIssuerKey(db.handle.db, ring(a));
      await rotateSigningKey(db.handle.db, ring(a));
      await insertClearKey(db.handle.db, "ES256", { retired: true });
      const cli = async (keyring: Keyring) => {
        const lines: string[] = [];
        await runCli(
          db.handle,
          ["keys:rewrap"],
          (line) => lines.push(line),
          undefined,
          () => keyring,
        );
        return lines;
      };

      expect(await cli(ring(b, a))).toEqual([
        're-sealed 4 of 4 private keys under key-encryption key "kek-b"',
        'once every server runs with KEY_ENCRYPTION_KEY "kek-b", KEY_ENCRYPTION_KEYS_OLD ("kek-a") can be removed',
      ]);
      const after = await rowsOf(db.handle.db);
      for (const row of after) {
        expect(asSealed(row.privateJwk)?.kek).toBe("kek-b");
        expect(openPrivateJwk(row.privateJwk, ring(b), row.kid)).toHaveProperty("d");
      }
      // Idempotent: nothing to do, nothing rewritten.
      expect(await cli(ring(b))).toEqual(['re-sealed 0 of 4 private keys under key-encryption key "kek-b" (4 already were)']);
      expect(await rowsOf(db.handle.db)).toEqual(after);
      // The new KEK alone signs.
      const store = new SigningKeyStore(
        () => db.handle.db,
        () => ring(b),
      );
      expect((await store.signingKey()).kid).toEqual(expect.any(String));

      // One row under a KEK nobody configured: refused as a whole, naming that KEK; no row changed.
      const c = parseKek(kekText("kek-c"));
      const [stray] = after;
      if (!stray) throw new Error("no rows");
      await db.handle.db
        .update(signingKeys)
        .set({ privateJwk: sealPrivateJwk(openPrivateJwk(stray.privateJwk, ring(b), stray.kid), c, stray.kid) })
        .where(eq(signingKeys.kid, stray.kid));
      const mixed = await rowsOf(db.handle.db);
      const d = parseKek(kekText("kek-d"));
      await expect(cli(ring(d, b))).rejects.toThrow(/key-encryption key needed: "kek-c"/);
      expect(await rowsOf(db.handle.db)).toEqual(mixed);
    } finally {
      await db.drop();
    }
  });
});

describe("the embedded demo's key-encryption key (PGlite in DATA_DIR, no KEY_ENCRYPTION_KEY)", () => {
  const dir = mkdtempSync(join(tmpdir(), "oidc-demo-kek-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is created in DATA_DIR with mode 0600 on first start and reused on restart: the same keys open", async () => {
    const demoEnv = () =>
      testEnv({ PORT: "0", HOST: "127.0.0.1", DEV_ISSUER: "1", DATA_DIR: dir, KEY_ENCRYPTION_KEY: "", TOKEN_RATE_LIMIT_IP: "0" });
    const first = await startServer(demoEnv(), silent);
    let kids: { idTokenKid?: string; accessTokenKid?: string };
    let kekId: string;
    try {
      kids = await exchangeThrough(first.deps);
      kekId = keyringOf(first.deps.env).current.id;
      expect(kekId).toMatch(/^demo-/);
    } finally {
      await first.stop(1000);
    }
    const file = join(dir, KEK_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const content = readFileSync(file, "utf8");

    const second = await startServer(demoEnv(), silent);
    try {
      expect(readFileSync(file, "utf8")).toBe(content);
      for (const row of await rowsOf(second.deps.database.db)) expect(asSealed(row.privateJwk)?.kek).toBe(kekId);
      const app = createApp(second.deps);
      expect(decodeProtectedHeader(await mintIdToken(app)).kid).toBe(kids.idTokenKid);
      const store = new SigningKeyStore(
        () => second.deps.database.db,
        () => keyringOf(second.deps.env),
      );
      expect((await store.signingKey()).kid).toBe(kids.accessTokenKid);
    } finally {
      await second.stop(1000);
    }
  }, 120_000);
});
