import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type BannerFacts, printStartupBanner, renderBanner } from "../src/banner";
import { parseEnv } from "../src/env";
import { seedDemo } from "../src/seed";
import { createTestDatabase, DB_KINDS, TEST_KEK, type TestDatabase } from "./support/harness";

const facts: BannerFacts = {
  consoleUrl: "http://localhost:3000",
  database: { kind: "pglite", dataDir: "/srv/data" },
  devIssuerUrl: "http://localhost:3000/dev-issuer",
  demoUsers: ["admin@example.com", "viewer@example.com"],
  password: { source: "generated", value: "s3cret-once" },
};

describe("start-up banner (issue #10, item 11)", () => {
  it("says where to open the console, who can sign in, and where the password came from", () => {
    const text = renderBanner(facts);
    expect(text).toContain("Console     http://localhost:3000");
    expect(text).toContain("Sign in as  admin@example.com (owner of octo-org)");
    expect(text).toContain("viewer@example.com (read-only member of octo-org)");
    expect(text).toContain("Password    s3cret-once  (generated now and shown only this once; set ADMIN_PASSWORD to choose it)");
    expect(text).toContain("embedded PGlite in /srv/data");
    expect(text).toContain("Dev issuer  http://localhost:3000/dev-issuer");
    expect(renderBanner({ ...facts, password: { source: "env" } })).toContain("the value of ADMIN_PASSWORD");
    const earlier = renderBanner({ ...facts, password: { source: "earlier" } });
    expect(earlier).toContain("first started");
    expect(earlier).toContain("remove /srv/data");
    expect(renderBanner({ ...facts, password: { source: "earlier" }, database: { kind: "postgres", dataDir: "x" } })).not.toContain(
      "remove",
    );
    const none = renderBanner({ ...facts, demoUsers: [], devIssuerUrl: null });
    expect(none).toContain("with a user made by pnpm cli user:create");
    expect(none).not.toContain("Password");
    expect(none).not.toContain("Dev issuer");
  });

  describe.each(DB_KINDS)("printed from the database's real state (%s)", (kind) => {
    let db: TestDatabase | undefined;
    afterEach(() => db?.drop());

    const print = async (envVars: Record<string, string>, seed: { seeded: boolean; generatedPassword?: string }) => {
      const env = parseEnv({ PORT: "0", LOG_LEVEL: "silent", ...envVars });
      let out = "";
      await printStartupBanner(env, (db as TestDatabase).handle, 4321, seed, { write: (t: string) => (out += t) });
      return out;
    };

    it("development: the seeded demo users and the generated password; a restart: where the password came from", async () => {
      db = await createTestDatabase(kind);
      const env = parseEnv({ NODE_ENV: "development", LOG_LEVEL: "silent" });
      const seed = await seedDemo(db.handle.db, env, pino({ level: "silent" }));
      expect(seed.generatedPassword).toBeTruthy();
      const first = await print({ NODE_ENV: "development" }, seed);
      expect(first).toContain("Console     http://localhost:4321");
      expect(first).toContain(`Password    ${seed.generatedPassword}`);
      expect(first).toContain("owner@acme.example (owner of acme)");
      const again = await print({ NODE_ENV: "development" }, { seeded: false });
      expect(again).toContain("first started");
      expect(again).not.toContain(String(seed.generatedPassword));
    });

    it("production and tests print nothing; no demo users: sign in with a CLI-made user", async () => {
      db = await createTestDatabase(kind);
      expect(
        await print({ NODE_ENV: "production", PUBLIC_URL: "https://oidc.example.com", KEY_ENCRYPTION_KEY: TEST_KEK }, { seeded: false }),
      ).toBe("");
      expect(await print({ NODE_ENV: "test" }, { seeded: false })).toBe("");
      expect(await print({ NODE_ENV: "development" }, { seeded: false })).toContain("with a user made by pnpm cli user:create");
    });
  });
});
