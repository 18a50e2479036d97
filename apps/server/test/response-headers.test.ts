import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerHeader, securityHeaderList, withHeaders } from "../src/http/response-headers";
import { type Started, startServer } from "../src/server";
import {
  ADMIN,
  connectionBody,
  createTestApp,
  createTestDatabase,
  DB_KINDS,
  PASSWORD,
  PUBLIC_URL,
  type TestApp,
  type TestDatabase,
  testEnv,
} from "./support/harness";

/** Both ways an answer is made: Hono's `app.request()` (tests) and a real Node server (production). */
type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

async function overNode(fetchApp: (request: Request, env: unknown) => Response | Promise<Response>) {
  const server = serve({ fetch: fetchApp, port: 0, hostname: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    fetch: ((path, init) => fetch(`${base}${path}`, init)) as Fetcher,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("withHeaders / answerHeader", () => {
  const preset = [
    ["X-Frame-Options", "SAMEORIGIN"],
    ["X-Preset", "yes"],
  ] as const;
  const app = new Hono()
    .use((c, next) => withHeaders(c, next, preset))
    .get("/plain", (c) => c.json({ ok: true }))
    .get("/own", (c) => {
      c.header("X-Frame-Options", "DENY");
      return c.json({ ok: true });
    })
    .get("/raw", () => new Response("raw", { headers: { "X-Frame-Options": "DENY", "Content-Type": "text/plain" } }))
    .get("/answer", (c) => {
      answerHeader(c, "ETag", '"3"');
      return c.json({ ok: true });
    })
    .get("/throws", () => {
      throw new Error("boom");
    })
    .onError((_, c) => c.text("failed", 500));
  let node: Awaited<ReturnType<typeof overNode>>;
  beforeAll(async () => {
    node = await overNode(app.fetch);
  });
  afterAll(() => node.close());

  const ways: [string, () => Fetcher][] = [
    ["app.request", () => (path, init) => Promise.resolve(app.request(path, init))],
    ["Node", () => node.fetch],
  ];
  describe.each(ways)("%s", (_, fetcher) => {
    it("puts the headers on every answer, an error's too", async () => {
      for (const path of ["/plain", "/answer", "/throws", "/no-such-route"]) {
        const res = await fetcher()(path);
        expect(res.headers.get("x-preset"), path).toBe("yes");
        expect(res.headers.get("x-frame-options"), path).toBe("SAMEORIGIN");
      }
      expect((await fetcher()("/throws")).status).toBe(500);
    });

    it("leaves an answer's own value of the same header alone", async () => {
      expect((await fetcher()("/own")).headers.get("x-frame-options")).toBe("DENY");
      expect((await fetcher()("/raw")).headers.get("x-frame-options")).toBe("DENY");
      expect((await fetcher()("/own")).headers.get("x-preset")).toBe("yes");
    });

    it("answerHeader sets one header of this answer, with the answer's own content type kept", async () => {
      const res = await fetcher()("/answer");
      expect(res.headers.get("etag")).toBe('"3"');
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ ok: true });
      expect((await fetcher()("/plain")).headers.get("etag")).toBeNull();
    });
  });
});

const SECURITY = securityHeaderList(PUBLIC_URL);

describe("security headers of the product", () => {
  it("has the usual set, the console's CSP, and HSTS only behind https", () => {
    const names = SECURITY.map(([name]) => name.toLowerCase());
    expect(names).toEqual(
      expect.arrayContaining([
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "cross-origin-opener-policy",
      ]),
    );
    expect(names).not.toContain("strict-transport-security");
    expect(new Map(securityHeaderList("https://oidc.example.com")).get("Strict-Transport-Security")).toMatch(/^max-age=\d+/);
    expect(new Map(SECURITY).get("Content-Security-Policy")).toMatch(/script-src 'self'.*frame-ancestors 'none'/);
  });
});

describe.each(DB_KINDS)("security headers and request id on every answer of the server (%s)", (kind) => {
  let t: TestApp;
  let db: TestDatabase;
  let started: Started;
  beforeAll(async () => {
    t = await createTestApp(kind);
    db = await createTestDatabase(kind);
    started = await startServer(testEnv({ PORT: "0", HOST: "127.0.0.1" }), pino({ level: "silent" }), db.handle);
  });
  afterAll(async () => {
    await started?.stop(1000);
    await db?.drop().catch(() => {});
    await t?.close().catch(() => {});
  });

  const ways: [string, () => Fetcher][] = [
    ["app.request", () => (path, init) => Promise.resolve(t.app.request(path, init))],
    ["Node", () => (path, init) => fetch(`${started.url}${path}`, init)],
  ];
  it.each(ways)("%s", async (_, way) => {
    const fetcher = way();
    const login = await fetcher("/api/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", origin: PUBLIC_URL },
      body: JSON.stringify({ email: ADMIN, password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const list = "/api/orgs/octo-org/oidc-connections";
    const created = await fetcher(list, {
      method: "POST",
      headers: { "content-type": "application/json", origin: PUBLIC_URL, cookie },
      body: JSON.stringify(connectionBody()),
    });
    const { id } = (await created.clone().json()) as { id: string };
    const page = await fetcher(list, { headers: { cookie } });
    const one = await fetcher(`${list}/${id}`, { headers: { cookie } });
    const answers: [string, Response, number][] = [
      ["sign-in", login, 200],
      ["create", created, 201],
      ["healthz", await fetcher("/healthz"), 200],
      ["list (folded read)", page, 200],
      ["get (folded read)", one, 200],
      ["401", await fetcher(list), 401],
      ["404", await fetcher("/api/nothing-here"), 404],
      ["docs page (HTML)", await fetcher("/api/docs"), 200],
      ["token endpoint error", await fetcher("/oauth/token", { method: "POST" }), 400],
    ];
    for (const [what, res, status] of answers) {
      expect(res.status, what).toBe(status);
      for (const [name, value] of SECURITY) expect(res.headers.get(name), `${what}: ${name}`).toBe(value);
      expect(res.headers.get("x-request-id"), what).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(one.headers.get("etag")).toMatch(/^"\d+"$/);
    expect(one.headers.get("content-type")).toMatch(/^application\/json/);
    expect(page.headers.get("etag")).toBeNull();
    // A sane incoming request id is echoed back.
    expect((await fetcher("/healthz", { headers: { "x-request-id": "trace-12345678" } })).headers.get("x-request-id")).toBe(
      "trace-12345678",
    );
  });
});
