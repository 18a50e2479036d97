import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
// Plain constants, inlined by the bundle (esbuild): the action ships without dependencies.
import { TOKEN_EXCHANGE_GRANT_TYPE as GRANT_TYPE, ID_TOKEN_TYPE } from "@oidc/shared/rfc8693";

/** What the action needs from the runner; the real one is in index.ts, tests pass their own. */
export interface Runtime {
  env: Record<string, string | undefined>;
  fetch: typeof fetch;
  /** One line of the job log (workflow commands included). */
  log(line: string): void;
  appendFile(path: string, text: string): void;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export const nodeRuntime = (): Runtime => ({
  env: process.env,
  fetch: globalThis.fetch,
  log: (line) => process.stdout.write(`${line}\n`),
  appendFile: (path, text) => appendFileSync(path, text, "utf8"),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
});

export class ActionError extends Error {}

const MAX_ATTEMPTS = 4;
const MAX_RETRY_WAIT_SECONDS = 30;
const TIMEOUT_MS = 30_000;

/** Workflow-command escaping of a value (runner protocol). */
const escapeData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");

/** `INPUT_<NAME>` as the runner sets it (name upper-cased, spaces to underscores), trimmed. */
export function input(env: Runtime["env"], name: string): string {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}

function setOutput(rt: Runtime, name: string, value: string) {
  const file = rt.env.GITHUB_OUTPUT;
  if (!file) {
    rt.log(`::set-output name=${name}::${escapeData(value)}`);
    return;
  }
  const delimiter = `ghadelimiter_${randomUUID()}`;
  rt.appendFile(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
}

async function readJson(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    const body = JSON.parse(text);
    return typeof body === "object" && body !== null ? body : {};
  } catch {
    return {};
  }
}

/** The job's OIDC ID token from the Actions runtime, for `audience`. */
async function requestIdToken(rt: Runtime, audience: string): Promise<string> {
  const url = rt.env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = rt.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !bearer) {
    throw new ActionError(
      "This job cannot request an OIDC ID token: ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set. " +
        "Add `permissions: id-token: write` to the job (or the workflow).",
    );
  }
  const target = new URL(url);
  target.searchParams.set("audience", audience);
  const res = await rt.fetch(target, {
    headers: { authorization: `bearer ${bearer}`, accept: "application/json; api-version=2.0" },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const body = await readJson(res);
  if (!res.ok || typeof body.value !== "string") {
    throw new ActionError(
      `Could not get an ID token from the Actions runtime (HTTP ${res.status}). Check \`permissions: id-token: write\`.`,
    );
  }
  return body.value;
}

/**
 * RFC 8693 exchange at `<url>/oauth/token`, retrying 429/503 as told by Retry-After (bounded).
 * `form(fresh)` gives the request's parameters; `fresh` asks for a new ID token: after a 503 or an
 * answer lost on the way, the server may have used up the one sent (each ID token is accepted once),
 * so retrying with it could only be refused as already used. A 429 is answered before any use.
 */
async function exchange(rt: Runtime, url: string, form: (fresh: boolean) => Promise<URLSearchParams>) {
  let fresh = false;
  for (let attempt = 1; ; attempt++) {
    const body = (await form(fresh)).toString();
    let res: Response;
    try {
      res = await rt.fetch(`${url}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS)
        throw new ActionError(`Cannot reach ${url}/oauth/token: ${error instanceof Error ? error.message : String(error)}`);
      rt.log(`Token endpoint unreachable; retrying (attempt ${attempt + 1} of ${MAX_ATTEMPTS})`);
      await rt.sleep(2 ** attempt * 1000);
      fresh = true;
      continue;
    }
    const answer = await readJson(res);
    if (res.ok && typeof answer.access_token === "string") return answer as { access_token: string; expires_in?: number; scope?: string };
    const retryable = res.status === 429 || res.status === 503;
    if (retryable && attempt < MAX_ATTEMPTS) {
      fresh = res.status === 503;
      const header = Number(res.headers.get("retry-after"));
      const wait = Number.isFinite(header) && header >= 0 ? Math.min(header, MAX_RETRY_WAIT_SECONDS) : 5;
      rt.log(`Token endpoint answered ${res.status}; retrying in ${wait} s (attempt ${attempt + 1} of ${MAX_ATTEMPTS})`);
      await rt.sleep(wait * 1000);
      continue;
    }
    const description = typeof answer.error_description === "string" ? answer.error_description : `HTTP ${res.status}`;
    const code = typeof answer.error === "string" ? `${answer.error}: ` : "";
    throw new ActionError(`Token exchange refused: ${code}${description}`);
  }
}

/** The `exp` claim of a compact JWT in milliseconds, if it has a readable one (not verified: only for the output). */
function expiryOf(token: string): number | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
    const exp = claims?.exp;
    return typeof exp === "number" && Number.isFinite(exp) && exp > 0 ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The action (SPEC §7): ID token → access token; masks it and sets the outputs `token` and `expires_at`. */
export async function run(rt: Runtime): Promise<void> {
  const connectionId = input(rt.env, "connection_id");
  if (!connectionId) throw new ActionError("Input required and not supplied: connection_id");
  const url = input(rt.env, "url").replace(/\/+$/, "");
  if (!/^https?:\/\//.test(url)) throw new ActionError("Input required: url (the service's public URL, e.g. https://oidc.example.com)");
  const audience = input(rt.env, "audience") || url;
  const expiresIn = input(rt.env, "expires_in");

  let idToken: string | undefined;
  const form = async (fresh: boolean) => {
    if (!idToken || fresh) {
      idToken = await requestIdToken(rt, audience);
      rt.log(`::add-mask::${escapeData(idToken)}`);
    }
    const params = new URLSearchParams({
      grant_type: GRANT_TYPE,
      subject_token_type: ID_TOKEN_TYPE,
      subject_token: idToken,
      connection_id: connectionId,
    });
    if (expiresIn) params.set("expires_in", expiresIn);
    return params;
  };
  const result = await exchange(rt, url, form);
  const arrived = rt.now();
  rt.log(`::add-mask::${escapeData(result.access_token)}`);
  const lifetime = typeof result.expires_in === "number" ? result.expires_in : 300;
  // The token's real expiry: its exp claim, else expires_in from when the successful answer arrived
  // (not from the first attempt: a 429 retry may have waited up to MAX_RETRY_WAIT_SECONDS per attempt).
  const expiresAt = new Date(expiryOf(result.access_token) ?? arrived + lifetime * 1000).toISOString();
  setOutput(rt, "token", result.access_token);
  setOutput(rt, "expires_at", expiresAt);
  rt.log(`Got an access token for ${result.scope ?? "the granted repositories"}, valid until ${expiresAt}`);
}
