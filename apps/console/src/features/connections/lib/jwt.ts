import { claimsProblem } from "@oidc/shared";

/** Decodes a compact JWT's payload in the browser. Not verified: for testing rulesets only. */
export function decodeJwtPayload(token: string): Record<string, unknown> {
  const parts = token.trim().split(".");
  if (parts.length !== 3 || !parts[1]) throw new Error("Not a JWT: paste the whole ID token (three base64url parts separated by dots)");
  const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  let json: string;
  try {
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    json = new TextDecoder().decode(bytes);
  } catch {
    throw new Error("The token's payload is not valid base64url");
  }
  const payload: unknown = JSON.parse(json);
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) throw new Error("The token's payload is not a JSON object");
  return payload as Record<string, unknown>;
}

export type TestInput =
  | { kind: "claims"; claims: Record<string, unknown> }
  | { kind: "subject"; claims: Record<string, unknown> }
  | { kind: "token"; claims: Record<string, unknown>; token: string }
  | { kind: "error"; message: string }
  | { kind: "empty" };

/** What was pasted into the Test tab: claims JSON, a bare subject, or a whole ID token. */
export function parseTestInput(raw: string): TestInput {
  const input = parseRawTestInput(raw);
  const problem = "claims" in input ? claimsProblem(input.claims) : undefined;
  return problem ? { kind: "error", message: problem } : input;
}

function parseRawTestInput(raw: string): TestInput {
  const text = raw.trim();
  if (!text) return { kind: "empty" };
  if (text.startsWith("{")) {
    try {
      const value: unknown = JSON.parse(text);
      if (!value || typeof value !== "object" || Array.isArray(value)) return { kind: "error", message: "Claims must be a JSON object" };
      return { kind: "claims", claims: value as Record<string, unknown> };
    } catch (e) {
      return { kind: "error", message: `Not valid JSON: ${e instanceof Error ? e.message : "parse error"}` };
    }
  }
  if (text.startsWith("repo:")) return { kind: "subject", claims: { sub: text } };
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text)) {
    try {
      return { kind: "token", claims: decodeJwtPayload(text), token: text };
    } catch (e) {
      return { kind: "error", message: e instanceof Error ? e.message : "Not a JWT" };
    }
  }
  return { kind: "error", message: 'Paste claims as JSON ({"sub": …}), a subject (repo:…) or a whole ID token (eyJ…)' };
}
