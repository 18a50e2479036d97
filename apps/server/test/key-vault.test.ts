import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { parseEnv } from "../src/env";
import {
  isClearJwk,
  KEK_FILE,
  type Kek,
  type Keyring,
  KeyVaultError,
  keyringOf,
  openPrivateJwk,
  parseKek,
  type SealedJwk,
  sealPrivateJwk,
} from "../src/keys/vault";

const kekText = (id: string) => `${id}:${randomBytes(32).toString("base64")}`;
const kek = (id: string): Kek => parseKek(kekText(id));
const ring = (current: Kek, ...old: Kek[]): Keyring => ({ current, old, source: "KEY_ENCRYPTION_KEY" });

async function privateJwk(alg: "ES256" | "RS256" = "ES256") {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), alg } as Record<string, unknown>;
}

/** Flips one bit of a base64url field. */
function flip(value: string, byte = 0): string {
  const bytes = Buffer.from(value, "base64url");
  bytes[byte % bytes.length] = (bytes[byte % bytes.length] ?? 0) ^ 0x01;
  return bytes.toString("base64url");
}

describe("sealing private JWKs (AES-256-GCM envelopes)", () => {
  const a = kek("kek-a");
  const b = kek("kek-b");

  it("seals to an envelope with no key material, and opens it again", async () => {
    const jwk = await privateJwk();
    const sealed = sealPrivateJwk(jwk, a, "kid-1");
    expect(sealed).toEqual({
      v: 1,
      kek: "kek-a",
      alg: "A256GCM",
      iv: expect.stringMatching(/^[\w-]{16}$/),
      tag: expect.stringMatching(/^[\w-]{22}$/),
      ct: expect.any(String),
    });
    const text = JSON.stringify(sealed);
    expect(text).not.toContain(jwk.d as string);
    expect(text).not.toContain('"d"');
    expect(isClearJwk(sealed)).toBe(false);
    expect(openPrivateJwk(sealed, ring(a), "kid-1")).toEqual(jwk);
  });

  it("round-trips any JWK-shaped object, for any kid, with a fresh IV each time; another kid never opens it", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.string(),
        fc.string(),
        fc.constantFrom("EC", "RSA", "OKP"),
        (extra, kid, otherKid, kty) => {
          const jwk = { ...extra, kty };
          const one = sealPrivateJwk(jwk, a, kid);
          const two = sealPrivateJwk(jwk, a, kid);
          expect(one.iv).not.toBe(two.iv);
          expect(JSON.parse(JSON.stringify(openPrivateJwk(one, ring(a), kid)))).toEqual(JSON.parse(JSON.stringify(jwk)));
          if (otherKid !== kid) expect(() => openPrivateJwk(one, ring(a), otherKid)).toThrow(KeyVaultError);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses a tampered envelope: ciphertext, IV or tag changed, tag truncated", async () => {
    const sealed = sealPrivateJwk(await privateJwk(), a, "kid-1");
    const tampered: SealedJwk[] = [
      { ...sealed, ct: flip(sealed.ct, 5) },
      { ...sealed, iv: flip(sealed.iv) },
      { ...sealed, tag: flip(sealed.tag, 15) },
      { ...sealed, tag: Buffer.from(sealed.tag, "base64url").subarray(0, 12).toString("base64url") },
      { ...sealed, iv: Buffer.from(sealed.iv, "base64url").subarray(0, 8).toString("base64url") },
    ];
    for (const envelope of tampered) {
      expect(() => openPrivateJwk(envelope, ring(a), "kid-1")).toThrow(/could not be opened with key-encryption key "kek-a"/);
    }
  });

  it("binds the row's kid and the KEK id: an envelope moved to another row, or relabelled, does not open", async () => {
    const sealed = sealPrivateJwk(await privateJwk(), a, "kid-1");
    expect(() => openPrivateJwk(sealed, ring(a), "kid-2")).toThrow(KeyVaultError);
    // Relabelled to another configured KEK id: the wrong key and the wrong AAD.
    expect(() => openPrivateJwk({ ...sealed, kek: "kek-b" }, ring(a, b), "kid-1")).toThrow(/"kek-b"/);
    // Same id, different key material: refused, and the message names the id that was tried.
    const impostor = { ...kek("kek-a") };
    expect(() => openPrivateJwk(sealed, ring(impostor), "kid-1")).toThrow(/not the one that sealed it/);
  });

  it("names the KEK id a row needs when it is not configured; opens with an old KEK", async () => {
    const sealed = sealPrivateJwk(await privateJwk(), a, "kid-1");
    let error: unknown;
    try {
      openPrivateJwk(sealed, ring(b), "kid-1");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KeyVaultError);
    expect((error as KeyVaultError).kekId).toBe("kek-a");
    expect((error as Error).message).toMatch(/sealed under key-encryption key "kek-a", which is not configured/);
    expect(openPrivateJwk(sealed, ring(b, a), "kid-1")).toMatchObject({ kty: "EC" });
  });

  it("does not hand out a key stored in clear, nor anything that is not an envelope", async () => {
    const jwk = await privateJwk();
    expect(() => openPrivateJwk(jwk, ring(a), "kid-1")).toThrow(/stored in clear/);
    for (const junk of [null, "x", 1, {}, { v: 2, kek: "kek-a", alg: "A256GCM", iv: "", tag: "", ct: "" }])
      expect(() => openPrivateJwk(junk, ring(a), "kid-1")).toThrow(KeyVaultError);
  });
});

describe("KEY_ENCRYPTION_KEY format", () => {
  it("takes <id>:<32 bytes in base64 or base64url>", () => {
    const bytes = randomBytes(32);
    for (const text of [`k1:${bytes.toString("base64")}`, `k1:${bytes.toString("base64url")}`, ` k1 : ${bytes.toString("base64")} `]) {
      const parsed = parseKek(text);
      expect(parsed.id).toBe("k1");
      expect(parsed.key.export().equals(bytes)).toBe(true);
    }
  });

  it.each([
    ["no colon", randomBytes(32).toString("base64")],
    ["empty id", `:${randomBytes(32).toString("base64")}`],
    ["id with a space", `my key:${randomBytes(32).toString("base64")}`],
    ["16 bytes", `k:${randomBytes(16).toString("base64")}`],
    ["33 bytes", `k:${randomBytes(33).toString("base64")}`],
    ["not base64", `k:${"!".repeat(44)}`],
    ["empty key", "k:"],
  ])("refuses %s without repeating the value", (_, text) => {
    expect(() => parseKek(text)).toThrow();
    try {
      parseKek(text);
    } catch (error) {
      const material = text.split(":")[1];
      if (material && material.length > 4) expect((error as Error).message).not.toContain(material);
    }
  });

  it("keeps the key material out of logs: the parsed configuration prints no secret", () => {
    const text = kekText("k1");
    const env = parseEnv({ KEY_ENCRYPTION_KEY: text });
    const material = text.split(":")[1] as string;
    expect(JSON.stringify(env)).not.toContain(material);
    expect(JSON.stringify(env)).not.toContain(Buffer.from(material, "base64").toString("hex"));
  });
});

describe("the demo's key-encryption key (no KEY_ENCRYPTION_KEY, not production)", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "oidc-kek-"));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("is generated once into DATA_DIR (mode 0600) and reused by the next process", () => {
    const dataDir = join(tempDir(), "data");
    const first = keyringOf(parseEnv({ DATA_DIR: dataDir }));
    expect(first.source).toBe("file");
    expect(first.current.id).toMatch(/^demo-[0-9a-f]{8}$/);
    const file = join(dataDir, KEK_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toMatch(/^demo-[0-9a-f]{8}:[A-Za-z0-9+/]{43}=\n$/);
    // A new configuration object, as after a restart: the same key.
    const again = keyringOf(parseEnv({ DATA_DIR: dataDir }));
    expect(again.current.id).toBe(first.current.id);
    expect(again.current.key.equals(first.current.key)).toBe(true);
  });

  it("a damaged key file stops start-up naming the file, never printing its content", () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, KEK_FILE), "demo-1:not-a-key-at-all\n");
    expect(() => keyringOf(parseEnv({ DATA_DIR: dataDir }))).toThrow(new RegExp(`${KEK_FILE} does not hold a key-encryption key`));
    try {
      keyringOf(parseEnv({ DATA_DIR: dataDir }));
    } catch (error) {
      expect((error as Error).message).not.toContain("not-a-key-at-all");
    }
  });

  it("on memory:// lives in memory, one per process, and touches no file", () => {
    const one = keyringOf(parseEnv({ DATA_DIR: "memory://" }));
    const two = keyringOf(parseEnv({ DATA_DIR: "memory://" }));
    expect(one.source).toBe("memory");
    expect(two.current).toBe(one.current);
  });

  it("KEY_ENCRYPTION_KEY wins over the file, and KEY_ENCRYPTION_KEYS_OLD opens older envelopes", () => {
    const current = kekText("new");
    const old = kekText("old");
    const keyring = keyringOf(parseEnv({ DATA_DIR: tempDir(), KEY_ENCRYPTION_KEY: current, KEY_ENCRYPTION_KEYS_OLD: old }));
    expect(keyring.source).toBe("KEY_ENCRYPTION_KEY");
    expect(keyring.current.id).toBe("new");
    expect(keyring.old.map((k) => k.id)).toEqual(["old"]);
  });
});
