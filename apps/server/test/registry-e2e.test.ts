import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { decodeProtectedHeader } from "jose";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { keyringOf } from "../src/keys/vault";
import { type Started, startServer } from "../src/server";
import { rotateSigningKey } from "../src/token/keys";
import { ADMIN, Client, connectionBody, createTestDatabase, exchangeParams, PASSWORD, type TestDatabase, testEnv } from "./support/harness";
import { freePort } from "./support/net";
import { writeOciLayout } from "./support/oci";

/**
 * SPEC §9 against the real thing: Debian's `docker-registry` (CNCF distribution 2.8) configured
 * with token auth against our server, driven by `skopeo`, with access tokens from the whole OIDC
 * flow (development issuer → /oauth/token). Skipped, saying so, where either program is missing;
 * CI (.ci/run) installs both.
 */
const onPath = (program: string) => (process.env.PATH ?? "").split(delimiter).some((dir) => dir && existsSync(join(dir, program)));
const missing = ["docker-registry", "skopeo"].filter((p) => !onPath(p));
if (missing.length)
  console.warn(`registry end-to-end test SKIPPED: ${missing.join(" and ")} not installed (apt-get install docker-registry skopeo)`);

const MANIFEST_TYPES = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

describe.skipIf(missing.length > 0)("a real registry (docker-registry + skopeo) with our token service", () => {
  let db: TestDatabase;
  let server: Started;
  let registry: ChildProcess | undefined;
  let registryLog = "";
  let dir: string;
  let registryHost: string;
  let layout: string;
  let manifestDigest: string;
  let publishId: string;
  let pullOnlyId: string;
  let admin: Client;
  const origin = () => ({ origin: server.deps.env.publicUrl });

  /** An access token for a connection: an ID token from the development issuer, exchanged at /oauth/token. */
  async function accessToken(connectionId: string, base = server.url, fetchImpl: typeof fetch = fetch): Promise<string> {
    const minted = await fetchImpl(`${base}/dev-issuer/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ claims: {} }),
    });
    const { token } = (await minted.json()) as { token: string };
    const exchanged = await fetchImpl(`${base}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(exchangeParams(connectionId, token)).toString(),
    });
    const body = (await exchanged.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`exchange failed: ${JSON.stringify(body)}`);
    // RFC 6749 §5.1, over Node as over app.request (http/response-headers.ts).
    expect([exchanged.headers.get("cache-control"), exchanged.headers.get("pragma")]).toEqual(["no-store", "no-cache"]);
    return body.access_token;
  }

  function skopeo(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        "skopeo",
        ["--insecure-policy", ...args],
        // Its own HOME: no auth files or caches of the machine's user are read or written.
        { env: { PATH: process.env.PATH ?? "", HOME: dir, XDG_RUNTIME_DIR: dir }, timeout: 60_000 },
        (error, stdout, stderr) =>
          resolve({
            code: error ? Number((error as { code?: number }).code ?? 1) || 1 : 0,
            stdout: String(stdout),
            stderr: String(stderr),
          }),
      );
    });
  }

  const image = (tag: string) => `docker://${registryHost}/octo-org/api:${tag}`;

  async function createConnection(name: string, scopes: string[]): Promise<string> {
    const created = await admin.request("POST", "/api/orgs/octo-org/oidc-connections", {
      json: connectionBody({
        name,
        issuer: `${server.deps.env.publicUrl}/dev-issuer`,
        rulesets: [{ label: "main", subject: "repo:octo-org/api:ref:refs/heads/main", resources: ["octo-org/api"], scopes }],
      }),
      headers: origin(),
    });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "registry-e2e-"));
    db = await createTestDatabase("pglite");
    const [port, registryPort] = [await freePort(), await freePort()];
    registryHost = `127.0.0.1:${registryPort}`;
    const publicUrl = `http://127.0.0.1:${port}`;
    const env = testEnv({ DEV_ISSUER: "1", PORT: String(port), HOST: "127.0.0.1", PUBLIC_URL: publicUrl, REGISTRY_SERVICE: registryHost });
    server = await startServer(env, pino({ level: "silent" }), db.handle);

    admin = new Client(createApp(server.deps));
    await admin.request("POST", "/api/auth/login", { json: { email: ADMIN, password: PASSWORD }, headers: origin() });
    publishId = await createConnection("Publish", ["pull", "push"]);
    pullOnlyId = await createConnection("Pull only", ["pull"]);

    // The registry: token auth against our realm, our CA as its only trusted root.
    const ca = await fetch(`${server.url}/registry/ca.pem`);
    expect(ca.status).toBe(200);
    writeFileSync(join(dir, "oidc-ca.pem"), await ca.text());
    mkdirSync(join(dir, "storage"));
    writeFileSync(
      join(dir, "config.yml"),
      [
        "version: 0.1",
        "log:",
        "  level: info",
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${join(dir, "storage")}`,
        "http:",
        `  addr: ${registryHost}`,
        `  secret: ${randomBytes(16).toString("hex")}`,
        "auth:",
        "  token:",
        `    realm: ${publicUrl}/registry/token`,
        `    service: ${registryHost}`,
        `    issuer: ${publicUrl}`,
        `    rootcertbundle: ${join(dir, "oidc-ca.pem")}`,
        "",
      ].join("\n"),
    );
    registry = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: ["ignore", "pipe", "pipe"] });
    const keep = (chunk: Buffer) => {
      registryLog = (registryLog + chunk.toString()).slice(-20_000);
    };
    registry.stdout?.on("data", keep);
    registry.stderr?.on("data", keep);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ready = await fetch(`http://${registryHost}/v2/`).catch(() => undefined);
      if (ready?.status === 401) break;
      if (Date.now() > deadline || registry.exitCode !== null) throw new Error(`the registry did not start:\n${registryLog}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    layout = join(dir, "image");
    ({ manifestDigest } = writeOciLayout(layout, "v1", "hello from the registry test\n"));
  });

  afterAll(async () => {
    if (registry && registry.exitCode === null) {
      const exited = new Promise((resolve) => registry?.once("exit", resolve));
      registry.kill("SIGTERM");
      await exited;
    }
    await server?.stop(1000);
    await db?.drop().catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the registry sends clients to our realm", async () => {
    const res = await fetch(`http://${registryHost}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(
      `Bearer realm="${server.deps.env.publicUrl}/registry/token",service="${registryHost}"`,
    );
  });

  it("logs in (the docker login request: no scope) with an access token, and not with anything else", async () => {
    const token = await accessToken(publishId);
    const authfile = join(dir, "auth.json");
    const login = (password: string) =>
      skopeo("login", "--authfile", authfile, "--tls-verify=false", "--username", "octo-org", "--password", password, registryHost);
    const ok = await login(token);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Login Succeeded/i);
    const refused = await login(`${token.slice(0, -6)}AAAAAA`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/invalid username\/password/);
  });

  it("pushes an image with a token from the whole OIDC flow and pulls it back with the same digest", async () => {
    const token = await accessToken(publishId);
    const pushed = await skopeo("copy", "--dest-creds", `octo-org:${token}`, "--dest-tls-verify=false", `oci:${layout}:v1`, image("v1"));
    expect(pushed, registryLog).toMatchObject({ code: 0 });

    const inspected = await skopeo("inspect", "--creds", `octo-org:${token}`, "--tls-verify=false", image("v1"));
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(JSON.parse(inspected.stdout).Digest).toBe(manifestDigest);

    const pulled = join(dir, "pulled");
    const copied = await skopeo("copy", "--src-creds", `octo-org:${token}`, "--src-tls-verify=false", image("v1"), `oci:${pulled}:v1`);
    expect(copied.code, copied.stderr).toBe(0);
    const index = JSON.parse(readFileSync(join(pulled, "index.json"), "utf8"));
    expect(index.manifests[0].digest).toBe(manifestDigest);

    // The admin sees the grants, at most one event per access token and scope set.
    const events = await admin.get(`/api/orgs/octo-org/oidc-connections/${publishId}/events`);
    const grants = events.body.items.filter((e: { type: string }) => e.type === "registry.token");
    expect(grants.length).toBeGreaterThan(0);
    const keys = grants.map((e: { details: { tokenId: string; scope: string } }) => `${e.details.tokenId} ${e.details.scope}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(grants.map((e: { details: unknown }) => e.details)).toContainEqual(
      expect.objectContaining({
        service: registryHost,
        username: "octo-org",
        access: [{ type: "repository", name: "octo-org/api", actions: ["pull", "push"] }],
      }),
    );
  });

  it("a pull-only grant can pull but cannot push", async () => {
    const token = await accessToken(pullOnlyId);
    const inspected = await skopeo("inspect", "--creds", `octo-org:${token}`, "--tls-verify=false", image("v1"));
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(JSON.parse(inspected.stdout).Digest).toBe(manifestDigest);

    const pushed = await skopeo("copy", "--dest-creds", `octo-org:${token}`, "--dest-tls-verify=false", `oci:${layout}:v1`, image("v2"));
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toMatch(/denied|unauthorized|authentication required/i);
    const publisher = await accessToken(publishId);
    const absent = await skopeo("inspect", "--creds", `octo-org:${publisher}`, "--tls-verify=false", image("v2"));
    expect(absent.code).not.toBe(0);
  });

  it("after keys:rotate a token signed with the new key verifies in the same registry, with the same CA", async () => {
    const caBefore = readFileSync(join(dir, "oidc-ca.pem"), "utf8");
    const { kid } = await rotateSigningKey(server.deps.database.db, keyringOf(server.deps.env));
    // A process that loads keys after the rotation (a restart, another worker): no registry change.
    const fresh = createApp(server.deps);
    const freshFetch = ((input: string, init?: RequestInit) => fresh.request(input.replace(server.url, ""), init)) as typeof fetch;
    const token = await accessToken(publishId, server.url, freshFetch);
    const res = await fresh.request(`/registry/token?service=${registryHost}&scope=repository:octo-org/api:pull`, {
      headers: { authorization: `Basic ${Buffer.from(`octo-org:${token}`).toString("base64")}` },
    });
    expect(res.status).toBe(200);
    const registryToken = ((await res.json()) as { token: string }).token;
    expect(decodeProtectedHeader(registryToken).kid).toBe(kid);
    expect(await (await fresh.request("/registry/ca.pem")).text()).toBe(caBefore);

    const manifest = await fetch(`http://${registryHost}/v2/octo-org/api/manifests/v1`, {
      headers: { authorization: `Bearer ${registryToken}`, accept: MANIFEST_TYPES },
    });
    expect(manifest.status, registryLog.slice(-2000)).toBe(200);
    expect(manifest.headers.get("docker-content-digest")).toBe(manifestDigest);
  });

  it("a deactivated connection's token is refused", async () => {
    const token = await accessToken(publishId);
    const before = await skopeo("inspect", "--creds", `octo-org:${token}`, "--tls-verify=false", image("v1"));
    expect(before.code, before.stderr).toBe(0);
    const granted = await fetch(`${server.url}/registry/token?service=${registryHost}&scope=repository:octo-org/api:pull`, {
      headers: { authorization: `Basic ${Buffer.from(`octo-org:${token}`).toString("base64")}` },
    });
    expect(granted.status).toBe(200);
    expect([granted.headers.get("cache-control"), granted.headers.get("pragma")]).toEqual(["no-store", "no-cache"]);

    const deactivated = await admin.request("POST", `/api/orgs/octo-org/oidc-connections/${publishId}/deactivate`, { headers: origin() });
    expect(deactivated.status).toBe(200);

    const after = await skopeo("inspect", "--creds", `octo-org:${token}`, "--tls-verify=false", image("v1"));
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/unauthorized|authentication required|401/i);
    const realm = await fetch(`${server.url}/registry/token?service=${registryHost}&scope=repository:octo-org/api:pull`, {
      headers: { authorization: `Basic ${Buffer.from(`octo-org:${token}`).toString("base64")}` },
    });
    expect(realm.status).toBe(401);
    expect(realm.headers.get("www-authenticate")).toBe(`Basic realm="${server.deps.env.publicUrl}/registry/token"`);
    expect(((await realm.json()) as { errors: { code: string; message: string }[] }).errors[0]).toMatchObject({
      code: "UNAUTHORIZED",
      message: expect.stringMatching(/inactive/),
    });
  });
});
