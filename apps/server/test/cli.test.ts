import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { CliError, runCli } from "../src/cli";
import { keyringOf } from "../src/keys/vault";
import { Client, createTestDatabase, DB_KINDS, type TestDatabase, testEnv } from "./support/harness";

describe.each(DB_KINDS)("CLI (%s)", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(() => db.drop());

  async function cli(argv: string[], password?: string) {
    const lines: string[] = [];
    const env = testEnv();
    await runCli(
      db.handle,
      argv,
      (line) => lines.push(line),
      password === undefined ? undefined : async () => password,
      () => keyringOf(env),
      env,
    );
    return lines;
  }

  const app = () => createApp({ env: testEnv(), database: db.handle, log: pino({ level: "silent" }) });

  it("creates an organisation, a user, a membership and repositories; the user can sign in and use them", async () => {
    expect(
      await cli(["org:create", "--slug", "blue-team", "--name", "Blue Team", "--github-owner", "blue", "--github-owner-id", "42"]),
    ).toEqual([expect.stringMatching(/^created organisation blue-team \([0-9a-f-]{36}\)$/)]);
    expect(await cli(["user:create", "--email", "Bea@Example.com", "--name", "Bea", "--password-stdin"], "a long password")).toEqual([
      expect.stringMatching(/^created user Bea@Example.com/),
    ]);
    expect(await cli(["member:add", "--org", "blue-team", "--email", "bea@example.com", "--role", "owner"])).toEqual([
      "Bea@Example.com is owner of blue-team",
    ]);
    expect(await cli(["repo:add", "--org", "blue-team", "--name", "api", "--name", "web"])).toEqual(["added blue-team/api, blue-team/web"]);
    expect(await cli(["list"])).toEqual(["blue-team  Blue Team", "  repositories: api, web", "  members: Bea@Example.com (owner)"]);

    const c = new Client(app());
    const login = await c.login("bea@example.com", "a long password");
    expect(login.body.memberships).toEqual([
      { org: expect.objectContaining({ slug: "blue-team", githubOwner: "blue", githubOwnerId: "42" }), role: "owner" },
    ]);
    const repos = await c.get("/api/orgs/blue-team/repositories");
    expect(repos.body.items.map((r: any) => r.fullName)).toEqual(["blue-team/api", "blue-team/web"]);
    const created = await c.post("/api/orgs/blue-team/oidc-connections", {
      name: "CI",
      type: "github-actions",
      rulesets: [{ label: "main", subject: "repo:blue/api:ref:refs/heads/main", resources: ["blue-team/api"], scopes: ["pull"] }],
    });
    expect(created.status).toBe(201);

    // A role change takes effect on the next request; removal ends the sessions too.
    expect(await cli(["member:add", "--org", "blue-team", "--email", "bea@example.com", "--role", "member"])).toEqual([
      "Bea@Example.com is member of blue-team",
    ]);
    expect((await c.patch(`/api/orgs/blue-team/oidc-connections/${created.body.id}`, { name: "x" }, { "if-match": '"1"' })).status).toBe(
      403,
    );
    expect(await cli(["member:remove", "--org", "blue-team", "--email", "BEA@example.com"])).toEqual([
      "Bea@Example.com is no longer a member of blue-team",
    ]);
    expect((await c.get("/api/me")).status).toBe(401);
  });

  it("registry:ca prints the registry CA that /registry/ca.pem serves, the same after keys:rotate", async () => {
    const [pem] = await cli(["registry:ca"]);
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----$/);
    expect(await cli(["registry:ca"])).toEqual([pem]);
    await cli(["keys:rotate"]);
    expect(await cli(["registry:ca"])).toEqual([pem]);
    const served = await app().request("/registry/ca.pem");
    expect((await served.text()).trimEnd()).toBe(pem);
  });

  it("takes the password from CLI_PASSWORD when not reading stdin", async () => {
    process.env.CLI_PASSWORD = "from the environment";
    try {
      expect(await cli(["user:create", "--email", "cy@example.com", "--name", "Cy"])).toEqual([expect.stringMatching(/^created user cy@/)]);
    } finally {
      delete process.env.CLI_PASSWORD;
    }
    expect((await new Client(app()).post("/api/auth/login", { email: "cy@example.com", password: "from the environment" })).status).toBe(
      200,
    );
  });

  it.each([
    [["org:create", "--slug", "Bad Slug", "--name", "x"], /--slug/],
    [["org:create", "--slug", "ok-slug"], /--name/],
    [["org:create", "--slug", "blue-team", "--name", "Again"], /already exists/],
    [["org:create", "--slug", "x", "--name", "x", "--github-owner-id", "12a"], /--github-owner-id/],
    [["org:create", "--slug", "zw", "--name", "Blue\u200bTeam"], /--name: Remove U\+200B ZERO WIDTH SPACE/],
    [["org:create", "--slug", "zw", "--name", "Blue", "--github-owner", "blue team"], /--github-owner/],
    [["user:create", "--email", "nul@example.com", "--name", "N\u0000", "--password-stdin"], /--name: Remove U\+0000 NULL/],
    [["user:create", "--email", "not-an-email", "--name", "x", "--password-stdin"], /--email/],
    [["user:create", "--email", "short@example.com", "--name", "x", "--password-stdin"], /at least 8/],
    [["user:create", "--email", "BEA@example.com", "--name", "x", "--password-stdin"], /already exists/],
    [["member:add", "--org", "nope", "--email", "bea@example.com", "--role", "owner"], /No organisation nope/],
    [["member:add", "--org", "blue-team", "--email", "nobody@example.com", "--role", "owner"], /No user/],
    [["member:add", "--org", "blue-team", "--email", "bea@example.com", "--role", "admin"], /--role/],
    [["member:remove", "--org", "blue-team", "--email", "cy@example.com"], /not a member/],
    [["repo:add", "--org", "blue-team"], /--name/],
    [["repo:add", "--org", "blue-team", "--name", "API"], /already exists/],
    [["repo:add", "--org", "blue-team", "--name", "a/b"], /--name/],
    [["frobnicate"], /Unknown command frobnicate/],
    [[], /Unknown command/],
    [["list", "--verbose"], /--verbose/],
  ])("refuses %j with a clear CliError", async (argv, message) => {
    const password = argv.includes("short@example.com") ? "short" : "long enough password";
    const run = cli(argv as string[], password);
    await expect(run).rejects.toBeInstanceOf(CliError);
    await expect(run).rejects.toThrow(message);
  });
});
