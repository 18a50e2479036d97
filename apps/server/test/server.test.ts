import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type Started, startServer } from "../src/server";
import { createTestDatabase, DB_KINDS, PASSWORD, testEnv } from "./support/harness";

describe.each(DB_KINDS)("server lifecycle (%s)", (kind) => {
  let started: Started | undefined;
  afterEach(async () => {
    await started?.stop(1000);
    started = undefined;
  });

  it("migrates, seeds, serves, and on stop finishes the request in flight before closing", async () => {
    const db = await createTestDatabase(kind);
    const env = testEnv({ PORT: "0", HOST: "127.0.0.1" });
    started = await startServer(env, pino({ level: "silent" }), db.handle);
    expect((await fetch(`${started.url}/readyz`)).status).toBe(200);

    // A sign-in takes a scrypt hash (~0.2 s): stop while it is in flight.
    const arrived = new Promise((resolve) => started?.server.once("request", resolve));
    const inFlight = fetch(`${started.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "admin@example.com", password: PASSWORD }),
    });
    await arrived;
    const stopping = started.stop(5000);
    const res = await inFlight;
    expect(res.status).toBe(200);
    await stopping;
    await expect(fetch(`${started.url}/healthz`)).rejects.toThrow();
    await expect(db.handle.ping()).rejects.toThrow();
    started = undefined;
    if (db.url) await db.drop().catch(() => {});
  });

  it("waits for handlers of clients that went away before closing the database", async () => {
    const db = await createTestDatabase(kind);
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
    started = await startServer(testEnv({ PORT: "0", HOST: "127.0.0.1" }), log, db.handle);
    const server = started.server;
    const arrived = new Promise((resolve) => server.once("request", resolve));
    const abort = new AbortController();
    const gone = fetch(`${started.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "admin@example.com", password: PASSWORD }),
      signal: abort.signal,
    }).catch(() => "aborted");
    await arrived;
    abort.abort();
    expect(await gone).toBe("aborted");
    // The sign-in handler is still hashing; it then writes a session, after the socket closed.
    await started.stop(5000);
    started = undefined;
    const errors = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
    expect(lines.some((l) => l.includes('"signed in"'))).toBe(true);
    if (db.url) await db.drop().catch(() => {});
  });
});
