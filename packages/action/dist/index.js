// Built from packages/action/src by `pnpm --filter @oidc/action build`. Do not edit.

// src/main.ts
import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";

// ../shared/src/rfc8693.ts
var TOKEN_EXCHANGE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
var ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";

// src/main.ts
var nodeRuntime = () => ({
  env: process.env,
  fetch: globalThis.fetch,
  log: (line) => process.stdout.write(`${line}
`),
  appendFile: (path, text) => appendFileSync(path, text, "utf8"),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now()
});
var ActionError = class extends Error {
};
var MAX_ATTEMPTS = 4;
var MAX_RETRY_WAIT_SECONDS = 30;
var TIMEOUT_MS = 3e4;
var escapeData = (s) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
function input(env, name) {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}
function setOutput(rt, name, value) {
  const file = rt.env.GITHUB_OUTPUT;
  if (!file) {
    rt.log(`::set-output name=${name}::${escapeData(value)}`);
    return;
  }
  const delimiter = `ghadelimiter_${randomUUID()}`;
  rt.appendFile(file, `${name}<<${delimiter}
${value}
${delimiter}
`);
}
async function readJson(res) {
  const text = await res.text();
  try {
    const body = JSON.parse(text);
    return typeof body === "object" && body !== null ? body : {};
  } catch {
    return {};
  }
}
async function requestIdToken(rt, audience) {
  const url = rt.env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = rt.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !bearer) {
    throw new ActionError(
      "This job cannot request an OIDC ID token: ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set. Add `permissions: id-token: write` to the job (or the workflow)."
    );
  }
  const target = new URL(url);
  target.searchParams.set("audience", audience);
  const res = await rt.fetch(target, {
    headers: { authorization: `bearer ${bearer}`, accept: "application/json; api-version=2.0" },
    signal: AbortSignal.timeout(TIMEOUT_MS)
  });
  const body = await readJson(res);
  if (!res.ok || typeof body.value !== "string") {
    throw new ActionError(
      `Could not get an ID token from the Actions runtime (HTTP ${res.status}). Check \`permissions: id-token: write\`.`
    );
  }
  return body.value;
}
async function exchange(rt, url, form) {
  let fresh = false;
  for (let attempt = 1; ; attempt++) {
    const body = (await form(fresh)).toString();
    let res;
    try {
      res = await rt.fetch(`${url}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS)
      });
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS)
        throw new ActionError(`Cannot reach ${url}/oauth/token: ${error instanceof Error ? error.message : String(error)}`);
      rt.log(`Token endpoint unreachable; retrying (attempt ${attempt + 1} of ${MAX_ATTEMPTS})`);
      await rt.sleep(2 ** attempt * 1e3);
      fresh = true;
      continue;
    }
    const answer = await readJson(res);
    if (res.ok && typeof answer.access_token === "string") return answer;
    const retryable = res.status === 429 || res.status === 503;
    if (retryable && attempt < MAX_ATTEMPTS) {
      fresh = res.status === 503;
      const header = Number(res.headers.get("retry-after"));
      const wait = Number.isFinite(header) && header >= 0 ? Math.min(header, MAX_RETRY_WAIT_SECONDS) : 5;
      rt.log(`Token endpoint answered ${res.status}; retrying in ${wait} s (attempt ${attempt + 1} of ${MAX_ATTEMPTS})`);
      await rt.sleep(wait * 1e3);
      continue;
    }
    const description = typeof answer.error_description === "string" ? answer.error_description : `HTTP ${res.status}`;
    const code = typeof answer.error === "string" ? `${answer.error}: ` : "";
    throw new ActionError(`Token exchange refused: ${code}${description}`);
  }
}
function expiryOf(token) {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
    const exp = claims?.exp;
    return typeof exp === "number" && Number.isFinite(exp) && exp > 0 ? exp * 1e3 : void 0;
  } catch {
    return void 0;
  }
}
async function run(rt) {
  const connectionId = input(rt.env, "connection_id");
  if (!connectionId) throw new ActionError("Input required and not supplied: connection_id");
  const url = input(rt.env, "url").replace(/\/+$/, "");
  if (!/^https?:\/\//.test(url)) throw new ActionError("Input required: url (the service's public URL, e.g. https://oidc.example.com)");
  const audience = input(rt.env, "audience") || url;
  const expiresIn = input(rt.env, "expires_in");
  let idToken;
  const form = async (fresh) => {
    if (!idToken || fresh) {
      idToken = await requestIdToken(rt, audience);
      rt.log(`::add-mask::${escapeData(idToken)}`);
    }
    const params = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
      subject_token_type: ID_TOKEN_TYPE,
      subject_token: idToken,
      connection_id: connectionId
    });
    if (expiresIn) params.set("expires_in", expiresIn);
    return params;
  };
  const result = await exchange(rt, url, form);
  const arrived = rt.now();
  rt.log(`::add-mask::${escapeData(result.access_token)}`);
  const lifetime = typeof result.expires_in === "number" ? result.expires_in : 300;
  const expiresAt = new Date(expiryOf(result.access_token) ?? arrived + lifetime * 1e3).toISOString();
  setOutput(rt, "token", result.access_token);
  setOutput(rt, "expires_at", expiresAt);
  rt.log(`Got an access token for ${result.scope ?? "the granted repositories"}, valid until ${expiresAt}`);
}

// src/index.ts
run(nodeRuntime()).catch((error) => {
  const message = error instanceof ActionError ? error.message : `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
  process.stdout.write(`::error::${message.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A")}
`);
  process.exitCode = 1;
});
