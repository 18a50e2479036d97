import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "../src/env";

const kek = (id: string) => `${id}:${randomBytes(32).toString("base64")}`;

function problems(source: Record<string, string>): string {
  try {
    parseEnv(source);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError);
    return (error as Error).message;
  }
  throw new Error(`parseEnv accepted ${JSON.stringify(source)}`);
}

describe("environment parsing", () => {
  it("defaults: port 3000, embedded database in .data, GitHub's issuer, audiences from the public URL", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      nodeEnv: "development",
      production: false,
      port: 3000,
      publicUrl: "http://localhost:3000",
      databaseUrl: undefined,
      dataDir: resolve(process.cwd(), ".data"),
      trustedIssuers: ["https://token.actions.githubusercontent.com"],
      tokenAudience: "http://localhost:3000",
      accessTokenAudience: "http://localhost:3000",
      devIssuer: false,
      apiRateLimit: 1200,
      loginRateLimit: 10,
    });
  });

  it("resolves a relative DATA_DIR from where the command was run (INIT_CWD), so every script finds one database", () => {
    expect(parseEnv({ INIT_CWD: "/srv/checkout", DATA_DIR: ".data" }).dataDir).toBe("/srv/checkout/.data");
    expect(parseEnv({ INIT_CWD: "/srv/checkout", DATA_DIR: "/var/lib/oidc" }).dataDir).toBe("/var/lib/oidc");
    expect(parseEnv({ INIT_CWD: "/srv/checkout", DATA_DIR: "memory://" }).dataDir).toBe("memory://");
    expect(parseEnv({}).dataDir).toBe(resolve(process.cwd(), ".data"));
  });

  it("reads and normalises values; an empty variable counts as unset", () => {
    const env = parseEnv({
      PORT: "8080",
      PUBLIC_URL: "https://oidc.example.com/",
      DATABASE_URL: "postgresql://u@db:5432/oidc",
      TRUSTED_ISSUERS: " https://token.actions.githubusercontent.com/ , https://ghe.example.com/_services/token ",
      DEV_ISSUER: "1",
      ADMIN_PASSWORD: "",
      TOKEN_AUDIENCE: "",
    });
    expect(env.port).toBe(8080);
    expect(env.publicUrl).toBe("https://oidc.example.com");
    expect(env.databaseUrl).toBe("postgresql://u@db:5432/oidc");
    expect(env.trustedIssuers).toEqual([
      "https://token.actions.githubusercontent.com",
      "https://ghe.example.com/_services/token",
      "https://oidc.example.com/dev-issuer",
    ]);
    expect(env.adminPassword).toBeUndefined();
    expect(env.tokenAudience).toBe("https://oidc.example.com");
  });

  it.each([
    [{ PORT: "abc" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ PUBLIC_URL: "ftp://example.com" }, "PUBLIC_URL"],
    [{ DATABASE_URL: "mysql://localhost/db" }, "DATABASE_URL"],
    [{ DATABASE_POOL_SIZE: "0" }, "DATABASE_POOL_SIZE"],
    [{ NODE_ENV: "staging" }, "NODE_ENV"],
    [{ DEV_ISSUER: "yes" }, "DEV_ISSUER"],
    [{ TRUSTED_ISSUERS: "not a url" }, "TRUSTED_ISSUERS"],
    [{ TRUSTED_ISSUERS: " , " }, "TRUSTED_ISSUERS"],
    [{ API_RATE_LIMIT: "-1" }, "API_RATE_LIMIT"],
    [{ LOGIN_RATE_LIMIT: "ten" }, "LOGIN_RATE_LIMIT"],
    [{ SESSION_TTL: "10" }, "SESSION_TTL"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ ADMIN_PASSWORD: "short" }, "ADMIN_PASSWORD"],
    [{ NODE_ENV: "production", DEV_ISSUER: "1", PUBLIC_URL: "https://x.example" }, "DEV_ISSUER"],
    [{ NODE_ENV: "production" }, "PUBLIC_URL"],
    [{ NODE_ENV: "production", PUBLIC_URL: "https://x.example", TRUSTED_ISSUERS: "http://insecure.example" }, "TRUSTED_ISSUERS"],
    [{ NODE_ENV: "production", PUBLIC_URL: "https://x.example" }, "KEY_ENCRYPTION_KEY"],
    [{ KEY_ENCRYPTION_KEY: "no-colon-here" }, "KEY_ENCRYPTION_KEY"],
    [{ KEY_ENCRYPTION_KEY: `k1:${randomBytes(16).toString("base64")}` }, "KEY_ENCRYPTION_KEY"],
    [{ KEY_ENCRYPTION_KEYS_OLD: kek("old") }, "KEY_ENCRYPTION_KEYS_OLD"],
    [{ KEY_ENCRYPTION_KEY: kek("new"), KEY_ENCRYPTION_KEYS_OLD: `${kek("old")},k2:short` }, "KEY_ENCRYPTION_KEYS_OLD (item 2)"],
    [{ KEY_ENCRYPTION_KEY: kek("same"), KEY_ENCRYPTION_KEYS_OLD: kek("same") }, "KEY_ENCRYPTION_KEYS_OLD (item 1)"],
  ] as const)("fails fast naming the bad variable: %j", (source, name) => {
    const message = problems(source);
    expect(message).toMatch(/^Invalid configuration:/);
    expect(message).toContain(`${name}:`);
  });

  it("REGISTRY_SERVICE: the host and port of PUBLIC_URL unless set; a host with a scheme or path is refused", () => {
    expect(parseEnv({}).registryService).toBe("localhost:3000");
    expect(parseEnv({ PUBLIC_URL: "https://oidc.example.com/" }).registryService).toBe("oidc.example.com");
    expect(parseEnv({ PUBLIC_URL: "https://oidc.example.com:8443" }).registryService).toBe("oidc.example.com:8443");
    expect(parseEnv({ REGISTRY_SERVICE: "registry.example.com:5000" }).registryService).toBe("registry.example.com:5000");
    for (const bad of ["https://registry.example.com", "registry.example.com/v2", "registry example"])
      expect(problems({ REGISTRY_SERVICE: bad })).toMatch(/REGISTRY_SERVICE: must be the registry's host/);
  });

  it("SHUTDOWN_GRACE: seconds, 10 by default, a bad value named (SPEC §13)", () => {
    expect(parseEnv({}).shutdownGraceSeconds).toBe(10);
    expect(parseEnv({ SHUTDOWN_GRACE: "30" }).shutdownGraceSeconds).toBe(30);
    expect(parseEnv({ SHUTDOWN_GRACE: "0" }).shutdownGraceSeconds).toBe(0);
    for (const bad of ["-1", "2.5", "soon", "3601"]) expect(problems({ SHUTDOWN_GRACE: bad })).toContain("SHUTDOWN_GRACE");
  });

  it("reports every bad variable at once", () => {
    const message = problems({ PORT: "abc", LOG_LEVEL: "loud", DATABASE_URL: "mysql://x" });
    for (const name of ["PORT", "LOG_LEVEL", "DATABASE_URL"]) expect(message).toContain(`${name}:`);
  });

  it("never repeats a secret's value in the message", () => {
    const password = problems({ ADMIN_PASSWORD: "hunter2" });
    expect(password).toContain("ADMIN_PASSWORD");
    expect(password).not.toContain("hunter2");
    const url = problems({ DATABASE_URL: "mysql://app:s3cret-pw@db.internal/oidc" });
    expect(url).toContain("DATABASE_URL");
    expect(url).not.toContain("s3cret-pw");
    const key = `k1:${randomBytes(16).toString("base64")}`;
    const kekProblem = problems({ KEY_ENCRYPTION_KEY: key, KEY_ENCRYPTION_KEYS_OLD: `old:${key.slice(3)}` });
    expect(kekProblem).toContain("KEY_ENCRYPTION_KEY:");
    expect(kekProblem).toContain("KEY_ENCRYPTION_KEYS_OLD (item 1):");
    expect(kekProblem).not.toContain(key.slice(3));
    // Non-secret values are quoted to help.
    expect(problems({ PORT: "abc" })).toContain('"abc"');
  });

  it("production needs KEY_ENCRYPTION_KEY (the key that seals private signing keys); with it, old keys may be listed", () => {
    expect(problems({ NODE_ENV: "production", PUBLIC_URL: "https://x.example" })).toMatch(
      /KEY_ENCRYPTION_KEY: required with NODE_ENV=production: the key that encrypts the private signing keys/,
    );
    const current = kek("kek-2026-11");
    const env = parseEnv({
      NODE_ENV: "production",
      PUBLIC_URL: "https://x.example",
      KEY_ENCRYPTION_KEY: current,
      KEY_ENCRYPTION_KEYS_OLD: `${kek("kek-2026-05")}, ${current}`,
    });
    expect(env.keyEncryptionKey?.id).toBe("kek-2026-11");
    // The current key listed again among the old ones is dropped, not an error.
    expect(env.oldKeyEncryptionKeys.map((k) => k.id)).toEqual(["kek-2026-05"]);
    expect(parseEnv({}).keyEncryptionKey).toBeUndefined();
  });

  it("the production server refuses to start without KEY_ENCRYPTION_KEY: exit code 1 and a message naming it", () => {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/index.ts"], {
      cwd: root,
      env: { PATH: process.env.PATH, NODE_ENV: "production", PUBLIC_URL: "https://x.example", DATA_DIR: "memory://", LOG_LEVEL: "silent" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("KEY_ENCRYPTION_KEY: required with NODE_ENV=production");
    expect(result.stdout).not.toContain("listening");
  });

  it("the server refuses to start with a bad value: exit code 1 and a message naming it", () => {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/index.ts"], {
      cwd: root,
      env: { PATH: process.env.PATH, PORT: "not-a-port", DATA_DIR: "memory://", LOG_LEVEL: "silent" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("Invalid configuration");
    expect(result.stderr).toContain("PORT:");
    expect(result.stdout).not.toContain("listening");
  });
});
