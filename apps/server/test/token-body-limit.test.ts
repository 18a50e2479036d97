import { request } from "node:http";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../src/db/client";
import { startServer } from "../src/server";
import { createTestDatabase, type TestDatabase, testEnv } from "./support/harness";

/**
 * The token endpoints' 64 KiB body limit (Hono's `bodyLimit`) over a real socket: a body sent in
 * chunks (no Content-Length) is refused once it passes the limit, and so is a declared length,
 * each in the endpoint's own error format.
 */

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

function post(url: string, path: string, chunks: string[], headers: Record<string, string> = {}): Promise<Answer> {
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
    server = await startServer(testEnv({ PORT: "0", HOST: "127.0.0.1", TOKEN_RATE_LIMIT_IP: "0" }), pino({ level: "silent" }), handle);
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
});
