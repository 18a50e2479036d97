import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { type Started, startServer } from "../src/server";
import { ADMIN, Client, connectionBody, createTestDatabase, PASSWORD, type TestDatabase, testEnv } from "./support/harness";
import { freePort } from "./support/net";

const ACTION = fileURLToPath(new URL("../../../packages/action/dist/index.js", import.meta.url));

function runAction(env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ACTION], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 20_000 }, (error, stdout) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

/** Parses the runner's `name<<delimiter … delimiter` output file. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1] as string] = m[3] as string;
  return out;
}

describe("the GitHub Action against the real server", () => {
  let db: TestDatabase;
  let server: Started;
  let runtime: Server;
  let runtimeUrl: string;
  let connectionId: string;
  const audiences: string[] = [];
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase("pglite");
    const port = await freePort();
    const env = testEnv({ DEV_ISSUER: "1", PORT: String(port), HOST: "127.0.0.1", PUBLIC_URL: `http://127.0.0.1:${port}` });
    server = await startServer(env, pino({ level: "silent" }), db.handle);

    // The admin API over the same database; same-origin as this server's public URL.
    const admin = new Client(createApp(server.deps));
    const origin = { origin: env.publicUrl };
    await admin.request("POST", "/api/auth/login", { json: { email: ADMIN, password: PASSWORD }, headers: origin });
    const created = await admin.request("POST", "/api/orgs/octo-org/oidc-connections", {
      json: connectionBody({ name: "Action", issuer: `${env.publicUrl}/dev-issuer` }),
      headers: origin,
    });
    expect(created.status).toBe(201);
    connectionId = created.body.id;

    // A fake Actions runtime: checks the bearer, mints through the server's development issuer.
    runtime = createServer(async (req, res) => {
      const url = new URL(req.url ?? "/", "http://runtime");
      if (req.headers.authorization !== "bearer runtime-token") {
        res.writeHead(401).end();
        return;
      }
      const audience = url.searchParams.get("audience") ?? "";
      audiences.push(audience);
      const minted = await fetch(`${server.url}/dev-issuer/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ claims: { aud: audience } }),
      });
      const { token } = (await minted.json()) as { token: string };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ count: 1, value: token }));
    });
    await new Promise<void>((resolve) => runtime.listen(0, "127.0.0.1", resolve));
    runtimeUrl = `http://127.0.0.1:${(runtime.address() as AddressInfo).port}/token?api-version=2.0`;
    dir = mkdtempSync(join(tmpdir(), "action-test-"));
  });

  afterAll(async () => {
    if (runtime) await new Promise<void>((resolve) => runtime.close(() => resolve()));
    await server?.stop(1000);
    await db.drop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it("exchanges the job's ID token, masks the access token and writes the outputs", async () => {
    const outputFile = join(dir, "output");
    writeFileSync(outputFile, "");
    const { code, stdout } = await runAction({
      INPUT_CONNECTION_ID: connectionId,
      INPUT_URL: server.deps.env.publicUrl,
      INPUT_AUDIENCE: "",
      ACTIONS_ID_TOKEN_REQUEST_URL: runtimeUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runtime-token",
      GITHUB_OUTPUT: outputFile,
    });
    expect(code).toBe(0);
    expect(audiences).toEqual([server.deps.env.publicUrl]);
    const outputs = parseOutputs(readFileSync(outputFile, "utf8"));
    expect(outputs.token).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(new Date(outputs.expires_at as string).getTime()).toBeGreaterThan(Date.now() + 200_000);
    expect(stdout.split("\n")).toContain(`::add-mask::${outputs.token}`);
    expect(stdout.indexOf(`::add-mask::${outputs.token}`)).toBeLessThan(stdout.indexOf("Got an access token"));

    const access = await fetch(`${server.url}/api/v1/repositories/octo-org/api/access`, {
      headers: { authorization: `Bearer ${outputs.token}` },
    });
    expect(access.status).toBe(200);
    expect(await access.json()).toEqual({ repository: "octo-org/api", actions: ["pull", "push"] });
  });

  it("fails with a clear message when the job lacks `id-token: write`", async () => {
    const { code, stdout } = await runAction({
      INPUT_CONNECTION_ID: connectionId,
      INPUT_URL: server.deps.env.publicUrl,
      GITHUB_OUTPUT: join(dir, "none"),
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/^::error::.*permissions: id-token: write/m);
  });

  it("reports the server's refusal", async () => {
    const { code, stdout } = await runAction({
      INPUT_CONNECTION_ID: "00000000-0000-4000-8000-000000000000",
      INPUT_URL: server.deps.env.publicUrl,
      ACTIONS_ID_TOKEN_REQUEST_URL: runtimeUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runtime-token",
      GITHUB_OUTPUT: join(dir, "refused"),
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/^::error::Token exchange refused: invalid_grant: Unknown connection/m);
  });
});
