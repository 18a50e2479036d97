import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Private keys at rest (SPEC §13 "Keys at rest"): every `signing_keys.private_jwk` is an envelope
 * sealed with AES-256-GCM under a key-encryption key (KEK) that never touches the database. A copy
 * of the database alone cannot mint a token.
 */

/** A key-encryption key: an id (written into every envelope it seals) and 32 secret bytes. */
export interface Kek {
  id: string;
  /** A KeyObject, so logging the configuration never prints the key material. */
  key: KeyObject;
}

/** The KEK that seals, and every KEK that may open (the current one first). */
export interface Keyring {
  current: Kek;
  old: Kek[];
  /** Where the current KEK came from, for the start-up log line. */
  source: "KEY_ENCRYPTION_KEY" | "file" | "memory";
}

/** How KEY_ENCRYPTION_KEY and the demo key file spell a KEK. */
export const KEK_FORMAT = "<id>:<base64 of 32 random bytes>";
/** The demo's generated KEK, inside DATA_DIR (only without KEY_ENCRYPTION_KEY, never in production). */
export const KEK_FILE = "key-encryption-key";

const KEK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Parses `<id>:<base64>`; the error never contains the value (it ends up in start-up logs). */
export function parseKek(text: string): Kek {
  const colon = text.indexOf(":");
  if (colon < 0) throw new Error(`must be ${KEK_FORMAT}`);
  const id = text.slice(0, colon).trim();
  const material = text.slice(colon + 1).trim();
  if (!KEK_ID.test(id)) throw new Error(`the key id must be 1-64 letters, digits, '.', '_' or '-' (format ${KEK_FORMAT})`);
  // Node's base64 decoder takes both alphabets (standard and URL-safe).
  const bytes = BASE64.test(material) ? Buffer.from(material, "base64") : undefined;
  if (bytes?.length !== 32) throw new Error(`the key must be 32 bytes in base64 (format ${KEK_FORMAT})`);
  return { id, key: createSecretKey(bytes) };
}

/** A fresh KEK in the text format, e.g. for the demo key file. */
export function generateKekText(idPrefix: string): string {
  return `${idPrefix}-${randomBytes(4).toString("hex")}:${randomBytes(32).toString("base64")}`;
}

/** The stored form of a private JWK: what `signing_keys.private_jwk` holds. */
export type SealedJwk = {
  v: 1;
  /** The id of the KEK that sealed it. */
  kek: string;
  alg: "A256GCM";
  iv: string;
  tag: string;
  ct: string;
};

/** Why a private key could not be opened: names the row and the KEK id it needs, never key material. */
export class KeyVaultError extends Error {
  constructor(
    message: string,
    readonly kid: string,
    readonly kekId?: string,
  ) {
    super(message);
    this.name = "KeyVaultError";
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Binds the envelope to its KEK id and to its row: an envelope moved to another row does not open. */
function additionalData(kekId: string, kid: string) {
  return Buffer.from(JSON.stringify(["oidc-connections/signing_keys.private_jwk", 1, kekId, kid]), "utf8");
}

/** Seals a private JWK for the row `kid` under `kek` (a random 96-bit IV per envelope). */
export function sealPrivateJwk(jwk: Record<string, unknown>, kek: Kek, kid: string): SealedJwk {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", kek.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(kek.id, kid));
  const ct = Buffer.concat([cipher.update(JSON.stringify(jwk), "utf8"), cipher.final()]);
  return {
    v: 1,
    kek: kek.id,
    alg: "A256GCM",
    iv: iv.toString("base64url"),
    tag: cipher.getAuthTag().toString("base64url"),
    ct: ct.toString("base64url"),
  };
}

/** The envelope in a stored value, or undefined when it is not one. */
export function asSealed(stored: unknown): SealedJwk | undefined {
  if (!stored || typeof stored !== "object") return undefined;
  const s = stored as Record<string, unknown>;
  if (s.v !== 1 || s.alg !== "A256GCM") return undefined;
  if (![s.kek, s.iv, s.tag, s.ct].every((x) => typeof x === "string")) return undefined;
  return s as SealedJwk;
}

/** A private JWK stored in clear (rows written before keys were encrypted at rest). */
export function isClearJwk(stored: unknown): stored is Record<string, unknown> {
  return !!stored && typeof stored === "object" && typeof (stored as { kty?: unknown }).kty === "string" && !asSealed(stored);
}

/** The KEK with this id in the keyring, if configured. */
function kekById(keyring: Keyring, id: string): Kek | undefined {
  return [keyring.current, ...keyring.old].find((k) => k.id === id);
}

/**
 * Opens the stored private key of row `kid`. Throws a KeyVaultError naming the KEK id it needs when
 * that KEK is not configured, when it is not the one that sealed it (or the envelope was altered or
 * moved to another row), and for a row still in clear (sealed at start-up or by `keys:rewrap`).
 */
export function openPrivateJwk(stored: unknown, keyring: Keyring, kid: string): Record<string, unknown> {
  const sealed = asSealed(stored);
  if (!sealed) {
    if (isClearJwk(stored))
      throw new KeyVaultError(`signing key ${kid} is stored in clear: restart the server or run keys:rewrap to seal it`, kid);
    throw new KeyVaultError(`signing key ${kid}: the stored private key is not a sealed envelope`, kid);
  }
  const kek = kekById(keyring, sealed.kek);
  if (!kek)
    throw new KeyVaultError(
      `signing key ${kid} is sealed under key-encryption key "${sealed.kek}", which is not configured: set KEY_ENCRYPTION_KEY to it, or list it in KEY_ENCRYPTION_KEYS_OLD`,
      kid,
      sealed.kek,
    );
  const iv = Buffer.from(sealed.iv, "base64url");
  const tag = Buffer.from(sealed.tag, "base64url");
  try {
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error("bad envelope");
    const decipher = createDecipheriv("aes-256-gcm", kek.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(kek.id, kid));
    decipher.setAuthTag(tag);
    const clear = Buffer.concat([decipher.update(Buffer.from(sealed.ct, "base64url")), decipher.final()]);
    const jwk = JSON.parse(clear.toString("utf8")) as unknown;
    if (!isClearJwk(jwk)) throw new Error("not a JWK");
    return jwk;
  } catch {
    throw new KeyVaultError(
      `signing key ${kid} could not be opened with key-encryption key "${kek.id}": the configured key with that id is not the one that sealed it, or the stored row was altered`,
      kid,
      kek.id,
    );
  }
}

const keyrings = new WeakMap<object, Keyring>();
let memoryKek: Kek | undefined;

/**
 * The keyring of a configuration: KEY_ENCRYPTION_KEY (+ KEY_ENCRYPTION_KEYS_OLD) when set (always
 * in production: parseEnv refuses to start without it). Otherwise, for the demo, a KEK generated
 * once into DATA_DIR/key-encryption-key (mode 0600, reused on restart), or, on `memory://`, one
 * held in memory for the life of the process.
 */
export function keyringOf(env: {
  keyEncryptionKey: Kek | undefined;
  oldKeyEncryptionKeys: Kek[];
  dataDir: string;
  production: boolean;
}): Keyring {
  let keyring = keyrings.get(env);
  if (keyring) return keyring;
  if (env.keyEncryptionKey) keyring = { current: env.keyEncryptionKey, old: env.oldKeyEncryptionKeys, source: "KEY_ENCRYPTION_KEY" };
  else if (env.production) throw new Error("KEY_ENCRYPTION_KEY: required with NODE_ENV=production");
  else if (env.dataDir.startsWith("memory://")) {
    memoryKek ??= parseKek(generateKekText("memory"));
    keyring = { current: memoryKek, old: [], source: "memory" };
  } else keyring = { current: demoKek(env.dataDir), old: [], source: "file" };
  keyrings.set(env, keyring);
  return keyring;
}

/** Reads DATA_DIR's KEK file, creating it first when absent (atomically: two processes agree). */
function demoKek(dataDir: string): Kek {
  const file = join(dataDir, KEK_FILE);
  const read = () => {
    const text = readFileSync(file, "utf8").trim();
    try {
      return parseKek(text);
    } catch (error) {
      throw new Error(
        `${file} does not hold a key-encryption key (${error instanceof Error ? error.message : "invalid"}): restore it, or set KEY_ENCRYPTION_KEY`,
      );
    }
  };
  try {
    return read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  // Written whole to a private temporary file, then linked into place: a reader never sees half a
  // key, and when two processes race, the first link wins and both read the same key.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, `${generateKekText("demo")}\n`, { mode: 0o600, flag: "wx" });
  try {
    linkSync(tmp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    unlinkSync(tmp);
  }
  return read();
}
