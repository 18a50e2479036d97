import { randomUUID } from "node:crypto";
import { and, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import type { Database, Executor } from "../db/client";
import { type KeyPurpose, signingKeys } from "../db/schema";
import { asSealed, isClearJwk, type Keyring, KeyVaultError, openPrivateJwk, sealPrivateJwk } from "../keys/vault";
import { createCaCertificate } from "../registry/certificates";

/** The algorithm of access tokens (SPEC §6.3). */
export const ACCESS_TOKEN_ALG = "ES256";
/** The development issuer's key shares the table (purpose `dev-issuer`); never published in our JWKS. */
const DEV_ISSUER_ALG = "RS256";
/** The registry CA's key (purpose `registry-ca`, SPEC §9): signs the leaf certificates of access-token keys. */
const REGISTRY_CA_ALG = "ES256";
/** A retired key stays published this long past its retirement: the longest access token, plus slack for processes that still sign with it until their next reload. */
export const RETIRED_KEY_PUBLISH_SECONDS = 3600 + 300;
/** Other processes pick up a rotation within this time. */
const RELOAD_MS = 60_000;
/** An unknown `kid` on an access token reloads keys at most this often. */
const UNKNOWN_KID_RELOAD_MS = 5_000;
/** Serialises key creation between processes (first start, rotation). */
const KEY_LOCK = 0x6f696463; // "oidc"

type Row = typeof signingKeys.$inferSelect;

/** A new key pair as a `signing_keys` row: the one place private keys are written. */
async function newKeyRow(purpose: KeyPurpose, alg: string, keyring: Keyring, kidPrefix = "") {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "RS256" ? { modulusLength: 2048 } : {}) });
  const publicJwk = await exportJWK(publicKey);
  const kid = `${kidPrefix}${await calculateJwkThumbprint(publicJwk)}`;
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    alg,
    purpose,
    privateJwk: sealPrivateJwk({ ...privateJwk, kid, alg }, keyring.current, kid),
    publicJwk: { ...publicJwk, kid, alg, use: "sig" } as Record<string, unknown>,
  };
}

async function withKeyLock<T>(db: Database, fn: (tx: Executor) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${KEY_LOCK})`);
    return fn(tx);
  });
}

/** Creates the first access-token signing key unless one is current. Safe to call from every process at start. */
export async function ensureSigningKey(db: Database, keyring: Keyring): Promise<void> {
  const current = await db
    .select({ kid: signingKeys.kid })
    .from(signingKeys)
    .where(and(eq(signingKeys.purpose, "access"), isNull(signingKeys.retiredAt)))
    .limit(1);
  if (current.length) return;
  await withKeyLock(db, async (tx) => {
    const again = await tx
      .select({ kid: signingKeys.kid })
      .from(signingKeys)
      .where(and(eq(signingKeys.purpose, "access"), isNull(signingKeys.retiredAt)))
      .limit(1);
    if (!again.length) await tx.insert(signingKeys).values(await newKeyRow("access", ACCESS_TOKEN_ALG, keyring));
  });
}

/**
 * Rotation (`pnpm cli keys:rotate`): a new key signs from now on; the previous ones stop signing
 * and stay published until every token they signed has expired.
 */
export async function rotateSigningKey(db: Database, keyring: Keyring): Promise<{ kid: string; retired: string[] }> {
  return withKeyLock(db, async (tx) => {
    // A CLI run with another KEK than the servers' would seal a key they cannot open: refuse.
    const failure = unopenable(await tx.select({ kid: signingKeys.kid, privateJwk: signingKeys.privateJwk }).from(signingKeys), keyring);
    if (failure) throw failure;
    const retired = await tx
      .update(signingKeys)
      .set({ retiredAt: sql`now()`, publishUntil: sql`now() + make_interval(secs => ${RETIRED_KEY_PUBLISH_SECONDS})` })
      .where(and(eq(signingKeys.purpose, "access"), isNull(signingKeys.retiredAt)))
      .returning({ kid: signingKeys.kid });
    const row = await newKeyRow("access", ACCESS_TOKEN_ALG, keyring);
    await tx.insert(signingKeys).values(row);
    return { kid: row.kid, retired: retired.map((r) => r.kid) };
  });
}

/** The development issuer's RS256 key: one per database, so restarts and cluster workers agree. */
export async function ensureDevIssuerKey(db: Database, keyring: Keyring): Promise<{ kid: string; privateKey: CryptoKey; publicJwk: JWK }> {
  const load = (ex: Executor) =>
    ex.select().from(signingKeys).where(eq(signingKeys.purpose, "dev-issuer")).orderBy(desc(signingKeys.createdAt)).limit(1);
  let [row] = await load(db);
  if (!row) {
    row = await withKeyLock(db, async (tx) => {
      const [existing] = await load(tx);
      if (existing) return existing;
      const [created] = await tx
        .insert(signingKeys)
        .values({ ...(await newKeyRow("dev-issuer", DEV_ISSUER_ALG, keyring, "dev-")), publishUntil: sql`now()` })
        .returning();
      return created as Row;
    });
  }
  return { kid: row.kid, privateKey: await privateKeyOf(row, keyring), publicJwk: row.publicJwk as JWK };
}

/** Rows whose private key the keyring cannot open, as one message naming the KEK ids needed. */
function unopenable(rows: { kid: string; privateJwk: unknown }[], keyring: Keyring): KeyVaultError | undefined {
  const failures: KeyVaultError[] = [];
  for (const row of rows) {
    if (isClearJwk(row.privateJwk)) continue;
    try {
      openPrivateJwk(row.privateJwk, keyring, row.kid);
    } catch (error) {
      if (!(error instanceof KeyVaultError)) throw error;
      failures.push(error);
    }
  }
  const [first] = failures;
  if (!first) return undefined;
  const needed = [...new Set(failures.flatMap((f) => (f.kekId ? [f.kekId] : [])))];
  return new KeyVaultError(
    `Cannot open ${failures.length} of the ${rows.length} private keys in signing_keys${needed.length ? ` (key-encryption key${needed.length > 1 ? "s" : ""} needed: ${needed.map((id) => `"${id}"`).join(", ")})` : ""}. ` +
      `Refusing to go on rather than create new keys that would orphan the tokens already issued. ${first.message}`,
    first.kid,
    first.kekId,
  );
}

/**
 * Start-up (SPEC §13 "Keys at rest"): seals the private keys still stored in clear (rows written
 * before keys were encrypted) under the current KEK, in one transaction under the key lock so
 * processes starting together agree; and proves every sealed key opens with the configured KEKs,
 * throwing a KeyVaultError that names the KEK id needed otherwise. Applies to every row, whatever
 * its algorithm or purpose. Returns the kids it sealed and how many rows still need an older KEK.
 */
export async function sealKeysAtRest(db: Database, keyring: Keyring): Promise<{ sealed: string[]; underOldKeys: number }> {
  const check = async (ex: Executor) => {
    const rows = await ex.select({ kid: signingKeys.kid, privateJwk: signingKeys.privateJwk }).from(signingKeys);
    const failure = unopenable(rows, keyring);
    if (failure) throw failure;
    return rows;
  };
  const underOldKeys = (rows: { privateJwk: unknown }[]) =>
    rows.filter((r) => {
      const kek = asSealed(r.privateJwk)?.kek;
      return kek !== undefined && kek !== keyring.current.id;
    }).length;
  const rows = await check(db);
  if (!rows.some((r) => isClearJwk(r.privateJwk))) return { sealed: [], underOldKeys: underOldKeys(rows) };
  return withKeyLock(db, async (tx) => {
    const locked = await check(tx);
    const sealed: string[] = [];
    for (const row of locked) {
      if (!isClearJwk(row.privateJwk)) continue;
      await tx
        .update(signingKeys)
        .set({ privateJwk: sealPrivateJwk(row.privateJwk, keyring.current, row.kid) })
        .where(eq(signingKeys.kid, row.kid));
      sealed.push(row.kid);
    }
    return { sealed, underOldKeys: underOldKeys(locked) };
  });
}

/**
 * `keys:rewrap`: re-seals every private key under the current KEK (after KEY_ENCRYPTION_KEY moved
 * to a new key and the old one went to KEY_ENCRYPTION_KEYS_OLD). One transaction under the key
 * lock: all rows or none. Idempotent: rows already sealed under the current KEK are left as they are.
 */
export async function rewrapSigningKeys(db: Database, keyring: Keyring): Promise<{ total: number; rewrapped: string[] }> {
  return withKeyLock(db, async (tx) => {
    const rows = await tx.select({ kid: signingKeys.kid, privateJwk: signingKeys.privateJwk }).from(signingKeys).orderBy(signingKeys.kid);
    const failure = unopenable(rows, keyring);
    if (failure) throw failure;
    const rewrapped: string[] = [];
    for (const row of rows) {
      if (asSealed(row.privateJwk)?.kek === keyring.current.id) continue;
      const jwk = isClearJwk(row.privateJwk) ? row.privateJwk : openPrivateJwk(row.privateJwk, keyring, row.kid);
      await tx
        .update(signingKeys)
        .set({ privateJwk: sealPrivateJwk(jwk, keyring.current, row.kid) })
        .where(eq(signingKeys.kid, row.kid));
      rewrapped.push(row.kid);
    }
    return { total: rows.length, rewrapped };
  });
}

/** The private key of a row, opened from its sealed `private_jwk`: the one place private keys are read. */
async function privateKeyOf(row: Pick<Row, "kid" | "privateJwk" | "alg">, keyring: Keyring): Promise<CryptoKey> {
  return (await importJWK(openPrivateJwk(row.privateJwk, keyring, row.kid) as JWK, row.alg)) as CryptoKey;
}

export interface RegistryCa {
  kid: string;
  /** The self-signed CA certificate (PEM): the registry's `rootcertbundle`. */
  certificate: string;
  privateKey: CryptoKey;
}

/**
 * The deployment's registry CA (SPEC §9): created once, under the key lock, and kept across
 * restarts and `keys:rotate`, so the registry's `rootcertbundle` never changes.
 */
export async function ensureRegistryCa(db: Database, name: string, keyring: Keyring): Promise<RegistryCa> {
  const load = (ex: Executor) =>
    ex.select().from(signingKeys).where(eq(signingKeys.purpose, "registry-ca")).orderBy(desc(signingKeys.createdAt)).limit(1);
  let [row] = await load(db);
  if (!row) {
    row = await withKeyLock(db, async (tx) => {
      const [existing] = await load(tx);
      if (existing) return existing;
      const keyRow = await newKeyRow("registry-ca", REGISTRY_CA_ALG, keyring, "ca-");
      const privateKey = await privateKeyOf(keyRow, keyring);
      const publicKey = (await importJWK(keyRow.publicJwk as JWK, REGISTRY_CA_ALG)) as CryptoKey;
      const certificate = await createCaCertificate({ privateKey, publicKey }, name);
      const [created] = await tx
        .insert(signingKeys)
        .values({ ...keyRow, certificate, publishUntil: sql`now()` })
        .returning();
      return created as Row;
    });
  }
  if (!row.certificate) throw new Error(`registry CA ${row.kid} has no certificate`);
  return { kid: row.kid, certificate: row.certificate, privateKey: await privateKeyOf(row, keyring) };
}

interface PublishedKey {
  jwk: JWK;
  key: CryptoKey;
}

/**
 * The server's access-token keys, cached in memory: the current private key signs; every
 * published key verifies. Reloaded every minute (a rotation by the CLI in another process is
 * picked up) and on an unknown `kid`.
 */
export class SigningKeyStore {
  private current: { kid: string; key: CryptoKey; publicKey: CryptoKey } | undefined;
  private published = new Map<string, PublishedKey>();
  private loadedAt = 0;
  private lastForcedReload = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly db: () => Database,
    private readonly keyring: () => Keyring,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  private reload(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load() {
    const db = this.db();
    let rows = await this.select(db);
    if (!rows.some((r) => r.retiredAt === null)) {
      await ensureSigningKey(db, this.keyring());
      rows = await this.select(db);
    }
    const published = new Map<string, PublishedKey>();
    for (const row of rows) {
      const jwk = row.publicJwk as JWK;
      published.set(row.kid, { jwk, key: (await importJWK(jwk, ACCESS_TOKEN_ALG)) as CryptoKey });
    }
    const currentRow = rows.find((r) => r.retiredAt === null);
    if (!currentRow) throw new Error("no current signing key");
    const key = await privateKeyOf(currentRow, this.keyring());
    this.current = { kid: currentRow.kid, key, publicKey: (published.get(currentRow.kid) as PublishedKey).key };
    this.published = published;
    this.loadedAt = Date.now();
  }

  private select(db: Database) {
    return db
      .select()
      .from(signingKeys)
      .where(and(eq(signingKeys.purpose, "access"), or(isNull(signingKeys.publishUntil), gt(signingKeys.publishUntil, sql`now()`))))
      .orderBy(desc(signingKeys.createdAt));
  }

  private async fresh() {
    if (!this.current) return this.reload();
    if (Date.now() - this.loadedAt > RELOAD_MS) void this.reload().catch(this.onError);
  }

  /** The current key: its `kid`, private key, and public key (for its registry certificate). */
  async signingKey(): Promise<{ kid: string; key: CryptoKey; publicKey: CryptoKey }> {
    await this.fresh();
    return this.current as { kid: string; key: CryptoKey; publicKey: CryptoKey };
  }

  /** The public key for `kid`, or undefined when we publish no such key. */
  async verificationKey(kid: string): Promise<CryptoKey | undefined> {
    await this.fresh();
    let found = this.published.get(kid);
    if (!found && Date.now() - this.lastForcedReload > UNKNOWN_KID_RELOAD_MS) {
      this.lastForcedReload = Date.now();
      await this.reload();
      found = this.published.get(kid);
    }
    return found?.key;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    await this.fresh();
    return { keys: [...this.published.values()].map((k) => k.jwk) };
  }
}

export const newJti = () => randomUUID();
