import { request } from "node:http";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../src/db/client";
import { startServer } from "../src/server";
import { createTestDatabase, type TestDatabase, testEnv } from "./support/harness";

/**
 * The body limits (`src/http/body.ts`: the body is read from Node's request, not through a WHATWG
 * `Request`) over a real socket: a body sent in chunks (no Content-Length) is refused once it
 * passes the limit, and so is a declared length, each in the endpoint's own error format; a body
 * under the limit arrives whole, however it is cut into chunks.
 */

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

function post(url: string, path: string, chunks: (string | Buffer)[], headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    // The server may answer before the whole body is sent: that is the point.
    req.on("error", (e) => ((e as NodeJS.ErrnoException).code === "EPIPE" ? undefined : reject(e)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe("token endpoints: 64 KiB body limit over a real socket", () => {
  let db: TestDatabase;
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    db = await createTestDatabase("pglite");
    const handle: DatabaseHandle = { ...db.handle, close: async () => {} };
    server = await startServer(
      testEnv({ PORT: "0", HOST: "127.0.0.1", TOKEN_RATE_LIMIT_IP: "0", DEV_ISSUER: "1" }),
      pino({ level: "silent" }),
      handle,
    );
  }, 120_000);
  afterAll(async () => {
    await server?.stop(1000);
    await db?.drop();
  });

  const overLimit = () => ["grant_type=x&padding=", ...Array.from({ length: 17 }, () => "y".repeat(4096))];

  it("/oauth/token: a chunked body over 64 KiB is 413 in RFC 6749 format; under it, the request is read", async () => {
    const refused = await post(server.url, "/oauth/token", overLimit());
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ error: "invalid_request", error_description: expect.stringMatching(/larger than 65536 bytes/) });
    const read = await post(server.url, "/oauth/token", ["grant_type=x&padding=", "y".repeat(60 * 1024)]);
    expect(read.status).toBe(400);
    expect(read.body).toMatchObject({ error: "unsupported_grant_type" });
  });

  it("/oauth/token: a declared Content-Length over 64 KiB is refused before reading", async () => {
    const body = overLimit().join("");
    const refused = await post(server.url, "/oauth/token", [body], { "content-length": String(Buffer.byteLength(body)) });
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ error: "invalid_request" });
  });

  it("/registry/token (POST form): a chunked body over 64 KiB is refused in the registry's format", async () => {
    const refused = await post(server.url, "/registry/token", overLimit());
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      errors: [{ code: "INVALID_REQUEST", message: expect.stringMatching(/larger than 65536 bytes/) }],
    });
  });

  it("/api: a chunked body over 1 MiB is 413 payload_too_large in the API's error format", async () => {
    const chunks = ['{"email":"a@example.com","password":"', ...Array.from({ length: 260 }, () => "y".repeat(4096)), '"}'];
    const refused = await post(server.url, "/api/auth/login", chunks, { "content-type": "application/json" });
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ error: { code: "payload_too_large" } });
  });

  it("a body cut into chunks inside a multi-byte character is read whole (dev issuer mints the claims it was sent)", async () => {
    const body = Buffer.from(JSON.stringify({ claims: { sub: "repo:octo-org/caf\u00e9:ref:refs/heads/\u6f22\u5b57" } }), "utf8");
    const cut = body.indexOf(Buffer.from("\u6f22", "utf8")) + 1; // inside the 3-byte character
    const minted = await post(server.url, "/dev-issuer/token", [body.subarray(0, cut), body.subarray(cut)], {
      "content-type": "application/json",
    });
    expect(minted.status).toBe(200);
    const payload = JSON.parse(Buffer.from(String(minted.body.token).split(".")[1] ?? "", "base64url").toString("utf8"));
    expect(payload.sub).toBe("repo:octo-org/caf\u00e9:ref:refs/heads/\u6f22\u5b57");
  });
});
