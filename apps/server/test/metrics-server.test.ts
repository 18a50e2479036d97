import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { type Started, startServer } from "../src/server";
import { createTestDatabase, testEnv } from "./support/harness";

describe("METRICS_PORT: /metrics on a listener of its own (docs/operations.md)", () => {
  let started: Started | undefined;
  afterAll(async () => {
    await started?.stop(1000);
  });

  it("serves /metrics on 127.0.0.1:METRICS_PORT and not on the public port", async () => {
    const db = await createTestDatabase("pglite");
    started = await startServer(testEnv({ PORT: "0", HOST: "127.0.0.1", METRICS_PORT: "0" }), pino({ level: "silent" }), db.handle);
    expect(started.metricsPort).toEqual(expect.any(Number));
    expect((await fetch(`${started.url}/healthz`)).status).toBe(200);

    const res = await fetch(`http://127.0.0.1:${started.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/m);
    expect(text).toContain("# TYPE nodejs_eventloop_lag_seconds gauge");

    expect((await fetch(`http://127.0.0.1:${started.metricsPort}/api/me`)).status).toBe(404);
    expect((await fetch(`${started.url}/metrics`)).status).toBe(404);
  });
});
