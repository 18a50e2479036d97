import type { Context } from "hono";
import { Hono } from "hono";
import { bodyLimit } from "../http/body";
import type { AppEnv, Deps } from "../http/context";
import { clientIp } from "../http/middleware";
import { rateLimit } from "../http/rate-limit";
import { countExchange } from "../metrics";
import type { TokenServices } from "../token";
import { invalidRequest, TokenError } from "../token/errors";
import { parseExchangeRequest } from "../token/request";

/** Largest request body of the token endpoint (SPEC §6.2). */
export const MAX_TOKEN_REQUEST_BYTES = 64 * 1024;

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
export function oauthRoutes(deps: Deps, services: TokenServices) {
  const service = services.exchange;
  return new Hono<AppEnv>().post(
    "/token",
    // Per client address, before the body is read (SPEC §6.2).
    rateLimit(
      services.ipLimiter,
      (c) => clientIp(c, deps.env.trustProxy) ?? "unknown",
      (c, retryAfterSeconds) =>
        errorResponse(
          c,
          new TokenError(
            429,
            "invalid_request",
            "rate_limited",
            `Too many token requests; retry in ${retryAfterSeconds} s`,
            retryAfterSeconds,
          ),
        ),
    ),
    // A declared length over the limit is refused before reading, a chunked body while reading.
    bodyLimit({
      maxSize: MAX_TOKEN_REQUEST_BYTES,
      onError: (c) =>
        errorResponse(
          c,
          new TokenError(413, "invalid_request", "malformed_request", `The request body is larger than ${MAX_TOKEN_REQUEST_BYTES} bytes`),
        ),
    }),
    async (c) => {
      try {
        const params = parseParams(c.req.header("content-type") ?? "", await c.req.text());
        const result = await service.exchange(parseExchangeRequest(params, deps.env), {
          ip: clientIp(c, deps.env.trustProxy),
          requestId: c.get("requestId"),
        });
        c.header("Cache-Control", "no-store");
        c.header("Pragma", "no-cache");
        countExchange(200);
        return c.json(result, 200);
      } catch (error) {
        if (error instanceof TokenError) return errorResponse(c, error);
        (c.get("log") ?? deps.log).error({ err: error }, "token exchange failed");
        return errorResponse(c, new TokenError(500, "server_error", "malformed_request", "Something went wrong on our side; try again"));
      }
    },
  );
}
