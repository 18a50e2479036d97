import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ConnectionSchema } from "@oidc/shared";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
// The server runs for real, in this process, on a random port; the tool only sees its URL.
import { startServer } from "../../../apps/server/src/server";
import {
  ADMIN,
  createTestDatabase,
  DB_KINDS,
  PASSWORD,
  PUBLIC_URL,
  type TestDatabase,
  testEnv,
} from "../../../apps/server/test/support/harness";
import { AdminClient, RATE_LIMIT_RETRIES, READ_CONCURRENCY, retryAfterSeconds } from "../src/api";
import { EXIT_CHANGES, EXIT_ERROR, EXIT_OK, main } from "../src/main";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const FILE = `
org: octo-org
connections:
  - name: Deploy API
    description: Pushes the api image from main
    rulesets:
      - label: main
        subject: repo:octo-org/api:ref:refs/heads/main
        resources: [octo-org/api]
        scopes: [pull, push]
      - label: release
        subject: repo:octo-org/api:ref:refs/heads/release-*
        conditions:
          - claim: repository_owner_id
            pattern: "1234567"
        resources: [octo-org/api, octo-org/web]
        scopes: [pull]
  - name: Docs
    maxTokenTtlSeconds: 900
    rulesets:
      - label: docs
        subject: repo:octo-org/docs:environment:prod
        resources: [octo-org/docs]
        scopes: [pull]
`;

describe.each(DB_KINDS)("oidc-connections CLI against a real server (%s)", (kind) => {
  let db: TestDatabase;
  let server: Awaited<ReturnType<typeof startServer>>;
  let ownerToken: string;
  let memberToken: string;
  const dir = mkdtempSync(join(tmpdir(), "oidc-cli-"));

  /** Runs the tool in this process; the file is given as text (as -f <path>). */
  async function cli(args: string[], options: { file?: string; token?: string; fetch?: typeof fetch } = {}) {
    let stdout = "";
    let stderr = "";
    const code = await main([...args, "--url", server.url], {
      env: { OIDC_CONNECTIONS_TOKEN: options.token ?? ownerToken },
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      readFile: () => options.file ?? FILE,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    return { code, stdout, stderr };
  }

  /** The admin API with the owner token, to look at and change things behind the tool's back. */
  async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${server.url}/api/orgs/octo-org${path}`, {
      method,
      headers: { authorization: `Bearer ${ownerToken}`, "content-type": "application/json", ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as any) };
  }
  async function connectionNamed(name: string) {
    const list = await api("GET", "/oidc-connections?limit=100");
    const summary = list.body.items.find((i: { name: string }) => i.name === name);
    return summary ? ConnectionSchema.parse((await api("GET", `/oidc-connections/${summary.id}`)).body) : undefined;
  }

  async function matchFile() {
    const applied = await cli(["apply", "-f", "connections.yaml", "--prune"]);
    expect(applied.code, applied.stderr).toBe(EXIT_OK);
  }

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startServer(testEnv({ PORT: "0", HOST: "127.0.0.1" }), pino({ level: "silent" }), db.handle);
    // An owner signs in (as the console does) and creates the tokens.
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: PUBLIC_URL },
      body: JSON.stringify({ email: ADMIN, password: PASSWORD }),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const token = async (role: string) => {
      const res = await fetch(`${server.url}/api/orgs/octo-org/api-tokens`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: PUBLIC_URL, cookie },
        body: JSON.stringify({ name: `cli ${role}`, role }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { token: string }).token;
    };
    ownerToken = await token("owner");
    memberToken = await token("member");
  });
  afterAll(async () => {
    await server?.stop(5000);
    if (db?.url) await db.drop().catch(() => {});
  });

  it("plan shows what would be created, field by field, and exits 2; apply creates; apply again changes nothing (exit 0)", async () => {
    const plan = await cli(["plan", "-f", "connections.yaml"]);
    expect(plan.stderr).toBe("");
    expect(plan.code).toBe(EXIT_CHANGES);
    expect(plan.stdout).toContain('+ connection "Deploy API" will be created');
    expect(plan.stdout).toContain('    + ruleset "release"');
    expect(plan.stdout).toContain('        + conditions: [{"claim":"repository_owner_id","pattern":"1234567"}]');
    expect(plan.stdout).toContain("    + maxTokenTtlSeconds: 900");
    expect(plan.stdout).toContain("Plan: 2 to create, 0 to change, 0 to delete.");

    const first = await cli(["apply", "-f", "connections.yaml"]);
    expect(first.code, first.stderr).toBe(EXIT_OK);
    expect(first.stdout).toContain('Created "Deploy API"');
    const deploy = await connectionNamed("Deploy API");
    expect(deploy?.rulesets.map((r) => r.label)).toEqual(["main", "release"]);
    expect(deploy?.version).toBe(1);

    const second = await cli(["apply", "-f", "connections.yaml"]);
    expect(second.code).toBe(EXIT_OK);
    expect(second.stdout).toContain("No changes: the organisation matches the file.");
    expect((await connectionNamed("Deploy API"))?.version).toBe(1);
    expect((await cli(["plan", "-f", "connections.yaml"])).code).toBe(EXIT_OK);
  });

  it("a changed file: ~ old → new per field; kept rulesets keep their id; status follows the file", async () => {
    await matchFile(); // each test starts from the org as FILE describes it
    const before = await connectionNamed("Deploy API");
    const changed = FILE.replace("Pushes the api image from main", "Pushes api")
      .replace("scopes: [pull, push]", "scopes: [push, pull, delete]")
      .replace("maxTokenTtlSeconds: 900", "maxTokenTtlSeconds: 900\n    status: inactive");
    const plan = await cli(["plan", "-f", "c.yaml"], { file: changed });
    expect(plan.code).toBe(EXIT_CHANGES);
    expect(plan.stdout).toContain(`~ connection "Deploy API" (id ${before?.id}) will be changed`);
    expect(plan.stdout).toContain('    ~ description: "Pushes the api image from main" → "Pushes api"');
    expect(plan.stdout).toContain('    ~ ruleset "main"\n        ~ scopes: ["pull","push"] → ["pull","push","delete"]');
    expect(plan.stdout).toContain('    ~ status: "active" → "inactive"');
    expect(plan.stdout).toContain("Plan: 0 to create, 2 to change, 0 to delete.");
    const applied = await cli(["apply", "-f", "c.yaml"], { file: changed });
    expect(applied.code, applied.stderr).toBe(EXIT_OK);
    const after = await connectionNamed("Deploy API");
    expect(after?.description).toBe("Pushes api");
    expect(after?.rulesets.map((r) => r.id)).toEqual(before?.rulesets.map((r) => r.id));
    expect((await connectionNamed("Docs"))?.status).toBe("inactive");
    expect((await cli(["apply", "-f", "c.yaml"], { file: changed })).stdout).toContain("No changes");
    // Back to the original file.
    expect((await cli(["apply", "-f", "connections.yaml"])).code).toBe(EXIT_OK);
    expect((await cli(["plan", "-f", "connections.yaml"])).code).toBe(EXIT_OK);
  });

  it("export writes the org as a file that plans to no changes", async () => {
    await matchFile(); // each test starts from the org as FILE describes it
    const exported = await cli(["export", "--org", "octo-org"]);
    expect(exported.code, exported.stderr).toBe(EXIT_OK);
    expect(exported.stdout).toMatch(/^# yaml-language-server: \$schema=http:\/\/127\.0\.0\.1:\d+\/api\/connections-file\.schema\.json\n/);
    const doc = parse(exported.stdout);
    expect(doc.org).toBe("octo-org");
    expect(doc.connections.map((c: { name: string }) => c.name)).toEqual(["Deploy API", "Docs"]);
    expect(doc.connections[1]).toEqual({
      name: "Docs",
      maxTokenTtlSeconds: 900,
      rulesets: [{ label: "docs", subject: "repo:octo-org/docs:environment:prod", resources: ["octo-org/docs"], scopes: ["pull"] }],
    });
    const replan = await cli(["plan", "-f", "exported.yaml"], { file: exported.stdout });
    expect(replan.code).toBe(EXIT_OK);
  });

  it("refuses to overwrite a change made after it read the org (412): exit 1, the other change stays", async () => {
    await matchFile(); // each test starts from the org as FILE describes it
    const changed = FILE.replace("Pushes the api image from main", "Mine");
    let interfered = false;
    const racing: typeof fetch = async (input, init) => {
      if (init?.method === "PATCH" && !interfered) {
        interfered = true;
        // Someone else changes the connection between the tool's read and its write.
        const current = await connectionNamed("Deploy API");
        const res = await api(
          "PATCH",
          `/oidc-connections/${current?.id}`,
          { description: "Theirs" },
          { "if-match": `"${current?.version}"` },
        );
        expect(res.status).toBe(200);
      }
      return fetch(input, init);
    };
    const applied = await cli(["apply", "-f", "c.yaml"], { file: changed, fetch: racing });
    expect(interfered).toBe(true);
    expect(applied.code).toBe(EXIT_ERROR);
    expect(applied.stderr).toContain('"Deploy API" was changed by someone else');
    expect(applied.stderr).toContain("Run plan again");
    expect((await connectionNamed("Deploy API"))?.description).toBe("Theirs");
    // Planning again shows the real difference; applying it then works.
    const replan = await cli(["plan", "-f", "c.yaml"], { file: changed });
    expect(replan.stdout).toContain('~ description: "Theirs" → "Mine"');
    expect((await cli(["apply", "-f", "connections.yaml"])).code).toBe(EXIT_OK);
  });

  it("connections missing from the file are kept unless --prune, which deletes them", async () => {
    await matchFile(); // each test starts from the org as FILE describes it
    const onlyDocs = FILE.slice(FILE.indexOf("  - name: Docs"));
    const file = `org: octo-org\nconnections:\n${onlyDocs}`;
    const kept = await cli(["plan", "-f", "c.yaml"], { file });
    expect(kept.code).toBe(EXIT_OK);
    expect(kept.stdout).toContain('Not in the file and kept (use --prune to delete): "Deploy API"');
    const plan = await cli(["plan", "-f", "c.yaml", "--prune"], { file });
    expect(plan.code).toBe(EXIT_CHANGES);
    expect(plan.stdout).toMatch(/- connection "Deploy API" \(id [0-9a-f-]{36}\) will be deleted\n {4}- ruleset "main"/);
    expect(plan.stdout).toContain("Plan: 0 to create, 0 to change, 1 to delete.");
    expect((await cli(["apply", "-f", "c.yaml", "--prune"], { file })).code).toBe(EXIT_OK);
    expect(await connectionNamed("Deploy API")).toBeUndefined();
    expect((await cli(["plan", "-f", "c.yaml", "--prune"], { file })).code).toBe(EXIT_OK);
    expect((await cli(["apply", "-f", "connections.yaml"])).code).toBe(EXIT_OK);
  });

  it("errors are clear and exit 1: bad file, no token, wrong token, member token applying, other org, issuer change", async () => {
    await matchFile(); // each test starts from the org as FILE describes it
    const invalid = await cli(["plan", "-f", "bad.yaml"], { file: "connections:\n  - name: x\n    rulesets: []\n    owner: me\n" });
    expect(invalid.code).toBe(EXIT_ERROR);
    expect(invalid.stderr).toContain("bad.yaml: not a valid connections file");
    expect(invalid.stderr).toContain("connections[0].rulesets: Add at least one ruleset");
    expect(invalid.stderr).toContain("(owner)");
    const yaml = await cli(["plan", "-f", "bad.yaml"], { file: "connections: [\n" });
    expect(yaml.code).toBe(EXIT_ERROR);
    expect(yaml.stderr).toContain("not valid YAML");
    expect((await cli(["plan", "-f", "c.yaml"], { token: "" })).stderr).toContain("OIDC_CONNECTIONS_TOKEN");
    const wrong = await cli(["plan", "-f", "c.yaml"], { token: `oidcc_${"x".repeat(43)}` });
    expect(wrong.code).toBe(EXIT_ERROR);
    expect(wrong.stderr).toContain("the server refused the API token");
    // A member token may plan but not apply.
    const changed = FILE.replace("Pushes the api image from main", "Member was here");
    expect((await cli(["plan", "-f", "c.yaml"], { file: changed, token: memberToken })).code).toBe(EXIT_CHANGES);
    const denied = await cli(["apply", "-f", "c.yaml"], { file: changed, token: memberToken });
    expect(denied.code).toBe(EXIT_ERROR);
    expect(denied.stderr).toContain("member role");
    const other = await cli(["plan", "-f", "c.yaml", "--org", "acme"], { file: FILE.replace("org: octo-org\n", "") });
    expect(other.code).toBe(EXIT_ERROR);
    expect(other.stderr).toContain("not found");
    const mismatch = await cli(["plan", "-f", "c.yaml", "--org", "acme"]);
    expect(mismatch.stderr).toContain('the file is for organisation "octo-org" but --org says "acme"');
    const issuer = await cli(["plan", "-f", "c.yaml"], {
      file: FILE.replace("  - name: Docs\n", "  - name: Docs\n    issuer: https://ghe.example.com/_services/token\n"),
    });
    expect(issuer.code).toBe(EXIT_ERROR);
    expect(issuer.stderr).toContain("the issuer cannot change");
    expect((await cli(["frobnicate"])).code).toBe(EXIT_ERROR);
    // Plain http to another host: a warning, then the request (here refused by a fetch that fails).
    let stderr = "";
    const code = await main(["plan", "-f", "c.yaml", "--url", "http://oidc.example.com"], {
      env: { OIDC_CONNECTIONS_TOKEN: ownerToken },
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      readFile: () => FILE,
      fetch: async () => {
        throw new TypeError("fetch failed", { cause: new Error("getaddrinfo ENOTFOUND oidc.example.com") });
      },
    });
    expect(code).toBe(EXIT_ERROR);
    expect(stderr).toContain("Warning: http://oidc.example.com is plain http");
    expect(stderr).toContain("cannot reach http://oidc.example.com: getaddrinfo ENOTFOUND oidc.example.com");
    expect((await cli(["plan", "-f", "c.yaml"])).stderr).not.toContain("Warning");
  });

  it("reads a larger org with several GETs at a time: the same export as one at a time, in name order", async () => {
    await matchFile();
    const names = Array.from({ length: 30 }, (_, i) => `Bulk ${String(29 - i).padStart(2, "0")}`);
    for (const name of names) {
      const created = await api("POST", "/oidc-connections", {
        name,
        type: "github-actions",
        rulesets: [
          {
            label: "main",
            subject: `repo:octo-org/${name.replace(" ", "-").toLowerCase()}:ref:refs/heads/main`,
            resources: ["octo-org/api"],
            scopes: ["pull"],
          },
        ],
      });
      expect(created.status).toBe(201);
    }
    let inFlight = 0;
    let most = 0;
    const counting: typeof fetch = async (input, init) => {
      most = Math.max(most, ++inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    const parallel = await cli(["export", "--org", "octo-org"], { fetch: counting });
    expect(parallel.code, parallel.stderr).toBe(EXIT_OK);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(READ_CONCURRENCY);
    expect(parse(parallel.stdout).connections.map((c: { name: string }) => c.name)).toEqual([
      "Bulk 00",
      ...names.slice(0, -1).reverse(),
      "Deploy API",
      "Docs",
    ]);
    const one = await new AdminClient({ url: server.url, org: "octo-org", token: ownerToken, concurrency: 1 }).readAll();
    expect(parse(parallel.stdout).connections.length).toBe(one.length);
    expect(one.map((c) => c.name)).toEqual(parse(parallel.stdout).connections.map((c: { name: string }) => c.name));
    // A connection deleted between the list and its GET is gone: left out, not an error.
    let gets = 0;
    const deleting: typeof fetch = async (input, init) => {
      const id = /oidc-connections\/([0-9a-f-]{36})$/.exec(String(input))?.[1];
      if (id && ++gets === 5) {
        const gone = await api("GET", `/oidc-connections/${id}`);
        expect((await api("DELETE", `/oidc-connections/${id}`, undefined, { "if-match": `"${gone.body.version}"` })).status).toBe(204);
      }
      return fetch(input, init);
    };
    const fewer = await cli(["export", "--org", "octo-org"], { fetch: deleting });
    expect(fewer.code, fewer.stderr).toBe(EXIT_OK);
    expect(parse(fewer.stdout).connections).toHaveLength(one.length - 1);
    // Any other failed GET stops the reading: exit 1 with the server's answer, nothing printed.
    gets = 0;
    const failing: typeof fetch = async (input, init) =>
      /oidc-connections\/[0-9a-f-]{36}$/.test(String(input)) && ++gets === 5
        ? fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: "Bearer oidcc_revoked" } })
        : fetch(input, init);
    const failed = await cli(["export", "--org", "octo-org"], { fetch: failing });
    expect(failed.code).toBe(EXIT_ERROR);
    expect(failed.stdout).toBe("");
    expect(failed.stderr).toContain("the server refused the API token");
    await matchFile(); // --prune removes the bulk connections again
  });

  it("waits out the server's rate limit (429 with Retry-After) and goes on; gives up after three in a row", async () => {
    await matchFile();
    // The server's own 429 (SPEC §5 error body, Retry-After), as its API_RATE_LIMIT answers it, for chosen requests.
    const limited = () =>
      new Response(JSON.stringify({ error: { code: "rate_limited", message: "Too many requests; try again in 1 s" } }), {
        status: 429,
        headers: { "content-type": "application/json", "retry-after": "1" },
      });
    let calls = 0;
    const once: typeof fetch = async (input, init) => (++calls === 2 ? limited() : fetch(input, init));
    const started = Date.now();
    const waited = await cli(["plan", "-f", "connections.yaml"], { fetch: once });
    expect(waited.code, waited.stderr).toBe(EXIT_OK);
    expect(waited.stderr).toContain("The server's rate limit (API_RATE_LIMIT) was reached: waiting 1 s, then going on.");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(calls).toBe(1 + 2 + 1); // the list, the refused GET and its retry, the other GET

    const always: typeof fetch = async (input, init) => (String(input).includes("?limit=") ? limited() : fetch(input, init));
    const gaveUp = await cli(["plan", "-f", "connections.yaml"], { fetch: always });
    expect(gaveUp.code).toBe(EXIT_ERROR);
    expect(gaveUp.stderr.match(/waiting 1 s/g)).toHaveLength(RATE_LIMIT_RETRIES);
    expect(gaveUp.stderr).toContain("Too many requests; try again in 1 s");
  }, 15_000);

  it("the bundled bin runs on plain Node without the server's code: exit codes 0 and 2", async () => {
    await promisify(execFile)(process.execPath, ["scripts/build.mjs"], { cwd: ROOT });
    const bin = join(ROOT, "dist/oidc-connections.js");
    const bundle = readFileSync(bin, "utf8");
    expect(bundle).not.toMatch(/drizzle|pglite|apps\/server/);
    const path = join(dir, "connections.yaml");
    const run = (file: string) => {
      writeFileSync(path, file);
      return new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(
          process.execPath,
          [bin, "plan", "-f", path, "--url", server.url],
          { env: { OIDC_CONNECTIONS_TOKEN: ownerToken } },
          (error, stdout) => resolve({ code: error ? Number(error.code) : 0, stdout }),
        );
      });
    };
    expect((await run(FILE)).code).toBe(EXIT_OK);
    const changed = await run(FILE.replace("maxTokenTtlSeconds: 900", "maxTokenTtlSeconds: 1200"));
    expect(changed.code).toBe(EXIT_CHANGES);
    expect(changed.stdout).toContain("~ maxTokenTtlSeconds: 900 → 1200");
  });
});

it("connections-file.schema.json is generated from the shared schema (run `pnpm --filter @oidc/connections-cli schema`)", async () => {
  await expect(
    promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/schema.ts", "--check"], { cwd: ROOT }),
  ).resolves.toBeDefined();
});

it("Retry-After: seconds or an HTTP-date, at least 1 s and at most a minute; 1 s when absent or unreadable", () => {
  const now = Date.parse("2026-11-23T10:00:00Z");
  expect(retryAfterSeconds("7", now)).toBe(7);
  expect(retryAfterSeconds(" 42 ", now)).toBe(42);
  expect(retryAfterSeconds("0", now)).toBe(1);
  expect(retryAfterSeconds("3600", now)).toBe(60);
  expect(retryAfterSeconds("Mon, 23 Nov 2026 10:00:05 GMT", now)).toBe(5);
  expect(retryAfterSeconds("Mon, 23 Nov 2026 09:00:00 GMT", now)).toBe(1);
  expect(retryAfterSeconds(null, now)).toBe(1);
  expect(retryAfterSeconds("soon", now)).toBe(1);
  expect(retryAfterSeconds("-5", now)).toBe(1);
});
