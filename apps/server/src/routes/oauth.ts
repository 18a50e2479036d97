import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv, Deps } from "../http/context";
import { clientIp } from "../http/middleware";
import { countExchange } from "../metrics";
import { invalidRequest, TokenError } from "../token/errors";
import type { TokenService } from "../token/exchange";

/** Largest request body of the token endpoint (SPEC §6.2). */
export const MAX_TOKEN_REQUEST_BYTES = 64 * 1024;

export class BodyTooLarge extends Error {}

/** The body as text, refusing more than the limit before reading it (declared length) or while reading it (chunked). */
export async function readBody(c: Context<AppEnv>): Promise<string> {
  const declared = c.req.header("content-length");
  if (declared !== undefined && Number(declared) > MAX_TOKEN_REQUEST_BYTES) throw new BodyTooLarge();
  const stream = c.req.raw.body;
  if (!stream) return "";
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_TOKEN_REQUEST_BYTES) {
      await reader.cancel();
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? Buffer.from(chunks[0] as Uint8Array).toString("utf8") : Buffer.concat(chunks).toString("utf8");
}

/** Form (RFC 8693) or JSON, as one parameter list. */
export function parseParams(contentType: string, text: string): URLSearchParams {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "application/json") {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw invalidRequest("The body is not valid JSON");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalidRequest("The JSON body must be an object");
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(body)) {
      if (typeof value === "string" || (typeof value === "number" && Number.isFinite(value))) params.append(name, String(value));
      else if (value !== null) throw invalidRequest(`The parameter ${name} must be a string`);
    }
    return params;
  }
  if (type === "" || type === "application/x-www-form-urlencoded") return new URLSearchParams(text);
  throw invalidRequest("Send the parameters as application/x-www-form-urlencoded (or application/json)");
}

/** RFC 6749 §5.2 error body; the description carries the request id. */
export function errorResponse(c: Context<AppEnv>, error: TokenError) {
  countExchange(error.status, error.reason);
  c.header("Cache-Control", "no-store");
  c.header("Pragma", "no-cache");
  if (error.retryAfterSeconds !== undefined && (error.status === 429 || error.status === 503))
    c.header("Retry-After", String(error.retryAfterSeconds));
  return c.json({ error: error.error, error_description: `${error.description} (request id ${c.get("requestId")})` }, error.status);
}

/** `POST /oauth/token` (SPEC §6.1): RFC 8693 token exchange. */
export function oauthRoutes(deps: Deps, service: TokenService) {
  return new Hono<AppEnv>().post("/token", async (c) => {
    const ip = clientIp(c, deps.env.trustProxy);
    try {
      service.limitIp(ip);
      let text: string;
      try {
        text = await readBody(c);
      } catch (error) {
        if (error instanceof BodyTooLarge)
          return errorResponse(
            c,
            new TokenError(413, "invalid_request", "malformed_request", `The request body is larger than ${MAX_TOKEN_REQUEST_BYTES} bytes`),
          );
        throw error;
      }
      const params = parseParams(c.req.header("content-type") ?? "", text);
      const result = await service.exchange(params, { ip, requestId: c.get("requestId") });
      c.header("Cache-Control", "no-store");
      c.header("Pragma", "no-cache");
      countExchange(200);
      return c.json(result, 200);
    } catch (error) {
      if (error instanceof TokenError) return errorResponse(c, error);
      (c.get("log") ?? deps.log).error({ err: error }, "token exchange failed");
      return errorResponse(c, new TokenError(500, "server_error", "malformed_request", "Something went wrong on our side; try again"));
    }
  });
}
