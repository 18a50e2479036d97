import { describe, expect, it } from "vitest";
import { ActionError, type Runtime, run } from "../src/main";

function fakeRuntime(env: Record<string, string>, responses: (url: string, init?: RequestInit) => Response) {
  const log: string[] = [];
  const files: Record<string, string> = {};
  const sleeps: number[] = [];
  const calls: { url: string; init?: RequestInit }[] = [];
  const rt: Runtime = {
    env,
    fetch: (async (url: string | URL, init?: RequestInit) => {
      calls.push({ url: String(url), ...(init ? { init } : {}) });
      return responses(String(url), init);
    }) as typeof fetch,
    log: (line) => log.push(line),
    appendFile: (path, text) => {
      files[path] = (files[path] ?? "") + text;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    now: () => Date.parse("2026-11-22T04:00:00Z"),
  };
  return { rt, log, files, sleeps, calls };
}

const env = {
  INPUT_CONNECTION_ID: "2f1e6a4c-1d8e-4a51-9d3b-1a2b3c4d5e6f",
  INPUT_URL: "https://oidc.example.com/",
  ACTIONS_ID_TOKEN_REQUEST_URL: "https://runtime.example/token?api-version=2.0",
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runtime-secret",
  GITHUB_OUTPUT: "/tmp/out",
};
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("the action", () => {
  it("requests the ID token for the service's audience, retries 429 as told by Retry-After, and sets masked outputs", async () => {
    let tokenCalls = 0;
    const f = fakeRuntime(env, (url) => {
      if (url.startsWith("https://runtime.example/")) return json(200, { value: "id.token.value" });
      tokenCalls++;
      if (tokenCalls === 1) return json(429, { error: "invalid_request", error_description: "slow down" }, { "retry-after": "2" });
      return json(200, { access_token: "access.token.value", expires_in: 600, scope: "repository:octo-org/api:pull" });
    });
    await run(f.rt);
    const idRequest = new URL(f.calls[0]?.url as string);
    expect(idRequest.searchParams.get("audience")).toBe("https://oidc.example.com");
    expect(idRequest.searchParams.get("api-version")).toBe("2.0");
    expect((f.calls[0]?.init?.headers as Record<string, string> | undefined)?.authorization).toBe("bearer runtime-secret");
    expect(f.calls[1]?.url).toBe("https://oidc.example.com/oauth/token");
    const form = new URLSearchParams(String(f.calls[1]?.init?.body));
    expect(Object.fromEntries(form)).toEqual({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
      subject_token: "id.token.value",
      connection_id: env.INPUT_CONNECTION_ID,
    });
    expect(f.sleeps).toEqual([2000]);
    expect(f.log).toContain("::add-mask::access.token.value");
    expect(f.log.indexOf("::add-mask::access.token.value")).toBeLessThan(f.log.findIndex((l) => l.startsWith("Got an access token")));
    expect(f.files["/tmp/out"]).toMatch(
      /^token<<(ghadelimiter_[\w-]+)\naccess\.token\.value\n\1\nexpires_at<<(ghadelimiter_[\w-]+)\n2026-11-22T04:10:00\.000Z\n\2\n$/,
    );
  });

  it("after a 503 or a lost answer it retries with a new ID token: the first one may have been used up (SPEC §13)", async () => {
    let idTokens = 0;
    let exchanges = 0;
    const f = fakeRuntime(env, (url) => {
      if (url.startsWith("https://runtime.example/")) return json(200, { value: `id.token.${++idTokens}` });
      exchanges++;
      if (exchanges === 1) return json(503, { error: "temporarily_unavailable", error_description: "database" }, { "retry-after": "5" });
      if (exchanges === 2) throw new TypeError("fetch failed");
      return json(200, { access_token: "access.token.value", expires_in: 300 });
    });
    await run(f.rt);
    const sent = f.calls
      .filter((c) => c.url === "https://oidc.example.com/oauth/token")
      .map((c) => new URLSearchParams(String(c.init?.body)).get("subject_token"));
    expect(sent).toEqual(["id.token.1", "id.token.2", "id.token.3"]);
    expect(f.sleeps).toEqual([5000, 4000]);
  });

  it("gives up after a bounded number of attempts and reports the server's description", async () => {
    const f = fakeRuntime(env, (url) =>
      url.startsWith("https://runtime.example/")
        ? json(200, { value: "id" })
        : json(429, { error: "invalid_request", error_description: "busy" }, { "retry-after": "3600" }),
    );
    await expect(run(f.rt)).rejects.toThrow(/busy/);
    expect(f.sleeps).toEqual([30_000, 30_000, 30_000]);
  });

  it("says to add `permissions: id-token: write` when the runtime gives no ID token", async () => {
    const { ACTIONS_ID_TOKEN_REQUEST_URL: _u, ACTIONS_ID_TOKEN_REQUEST_TOKEN: _t, ...rest } = env;
    const f = fakeRuntime(rest, () => json(500, {}));
    await expect(run(f.rt)).rejects.toThrow(ActionError);
    await expect(run(f.rt)).rejects.toThrow(/permissions: id-token: write/);
  });

  it("requires connection_id and url", async () => {
    await expect(run(fakeRuntime({ ...env, INPUT_CONNECTION_ID: "" }, () => json(500, {})).rt)).rejects.toThrow(/connection_id/);
    await expect(run(fakeRuntime({ ...env, INPUT_URL: "" }, () => json(500, {})).rt)).rejects.toThrow(/url/);
  });

  it("computes expires_at from the token's own expiry, not from the first attempt: after a 429 wait it is still exact", async () => {
    const start = Date.parse("2026-11-22T04:00:00Z");
    const jwt = (claims: Record<string, unknown>) =>
      `${Buffer.from('{"alg":"ES256"}').toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;
    for (const [token, expected] of [
      // The exp claim of the returned access token wins (it is what resource servers check).
      [jwt({ iat: start / 1000 + 30, exp: start / 1000 + 30 + 900 }), "2026-11-22T04:15:30.000Z"],
      // No readable exp: expires_in counted from when the successful answer arrived (after the 30 s wait).
      ["opaque-token", "2026-11-22T04:15:30.000Z"],
    ] as const) {
      let clock = start;
      let tokenCalls = 0;
      const f = fakeRuntime(env, (url) => {
        if (url.startsWith("https://runtime.example/")) return json(200, { value: "id.token.value" });
        tokenCalls++;
        if (tokenCalls === 1) return json(429, { error: "invalid_request", error_description: "slow down" }, { "retry-after": "30" });
        return json(200, { access_token: token, expires_in: 900, scope: "repository:octo-org/api:pull" });
      });
      f.rt.now = () => clock;
      f.rt.sleep = async (ms) => {
        clock += ms;
      };
      await run(f.rt);
      expect(f.files["/tmp/out"]).toContain(`\n${expected}\n`);
    }
  });
});
