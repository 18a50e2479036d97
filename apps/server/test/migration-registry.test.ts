import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The registry token service's migration on a database that already has keys: `purpose` is
 * backfilled from `alg` (RS256 rows are the development issuer's key, the others access-token keys),
 * then required and checked. The checked-in SQL files are applied in order, as drizzle does.
 */
const DIR = fileURLToPath(new URL("../drizzle/", import.meta.url));
const files = readdirSync(DIR)
  .filter((f) => /^\d{4}_.*\.sql$/.test(f))
  .sort();

async function apply(db: PGlite, file: string) {
  for (const statement of readFileSync(`${DIR}${file}`, "utf8").split("--> statement-breakpoint"))
    if (statement.trim()) await db.exec(statement);
}

describe("migration registry_token_service", () => {
  const db = new PGlite();
  beforeAll(async () => {
    // Found by name: the lead may renumber it when merging another branch's migration.
    const index = files.findIndex((f) => f.endsWith("_registry_token_service.sql"));
    expect(index).toBeGreaterThan(0);
    for (const file of files.slice(0, index)) await apply(db, file);
    await db.exec(`insert into signing_keys (kid, alg, private_jwk, public_jwk, retired_at) values
      ('access-old', 'ES256', '{}', '{}', now()), ('access-new', 'ES256', '{}', '{}', null), ('dev-x', 'RS256', '{}', '{}', null)`);
    await apply(db, files[index] as string);
  });
  afterAll(() => db.close());

  it("backfills purpose from alg", async () => {
    const { rows } = await db.query<{ kid: string; purpose: string; certificate: string | null }>(
      "select kid, purpose, certificate from signing_keys order by kid",
    );
    expect(rows).toEqual([
      { kid: "access-new", purpose: "access", certificate: null },
      { kid: "access-old", purpose: "access", certificate: null },
      { kid: "dev-x", purpose: "dev-issuer", certificate: null },
    ]);
  });

  it("then requires a known purpose", async () => {
    await expect(
      db.exec(`insert into signing_keys (kid, alg, private_jwk, public_jwk) values ('k1', 'ES256', '{}', '{}')`),
    ).rejects.toThrow(/null value in column "purpose"/);
    await expect(
      db.exec(`insert into signing_keys (kid, alg, purpose, private_jwk, public_jwk) values ('k2', 'ES256', 'other', '{}', '{}')`),
    ).rejects.toThrow(/signing_keys_purpose_check/);
  });
});
