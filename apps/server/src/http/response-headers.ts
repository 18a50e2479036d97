import type { ServerResponse } from "node:http";
import type { Context, MiddlewareHandler } from "hono";

/** The console's Content-Security-Policy; sent on every answer (for JSON it only makes a browser stricter). */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "object-src 'none'",
].join("; ");

/**
 * The security headers of every answer: those of Hono's `secureHeaders()` defaults (which this
 * replaces), with `Referrer-Policy: no-referrer`, Strict-Transport-Security only behind https, and
 * the console's CSP.
 */
export function securityHeaderList(publicUrl: string): readonly (readonly [string, string])[] {
  return [
    ["Content-Security-Policy", CSP],
    ["Cross-Origin-Resource-Policy", "same-origin"],
    ["Cross-Origin-Opener-Policy", "same-origin"],
    ["Origin-Agent-Cluster", "?1"],
    ["Referrer-Policy", "no-referrer"],
    ...(publicUrl.startsWith("https://") ? [["Strict-Transport-Security", "max-age=31536000; includeSubDomains"] as const] : []),
    ["X-Content-Type-Options", "nosniff"],
    ["X-DNS-Prefetch-Control", "off"],
    ["X-Download-Options", "noopen"],
    ["X-Frame-Options", "SAMEORIGIN"],
    ["X-Permitted-Cross-Domain-Policies", "none"],
    ["X-XSS-Protection", "0"],
  ];
}

/** Node's response under this request, when @hono/node-server serves it (not in `app.request()`). */
function nodeResponse(c: Context): ServerResponse | undefined {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  return typeof outgoing?.setHeader === "function" ? outgoing : undefined;
}

/**
 * Headers that every answer to this request carries however it is made (a route's `c.json`, an
 * error, a static file, node-server's own 500) unless the answer sets the same header itself.
 *
 * Served by Node, they go straight onto Node's response, which merges them into the answer's own
 * headers when it is written (`writeHead`: the answer's value wins). So no WHATWG `Headers` object
 * is built for them: a JSON answer without headers of its own stays on node-server's fast path
 * (docs/performance.md, "Admin: the floor"). Without Node (`app.request()` in tests) they are added
 * to the finished Response, with the same precedence.
 */
export async function withHeaders(c: Context, next: () => Promise<void>, headers: readonly (readonly [string, string])[]) {
  const outgoing = nodeResponse(c);
  if (outgoing) {
    for (const [name, value] of headers) outgoing.setHeader(name, value);
    return next();
  }
  await next();
  for (const [name, value] of headers) if (!c.res.headers.has(name)) c.res.headers.set(name, value);
}

/** As `withHeaders`, for one header decided inside a handler that answers with the plain `c.json` next. */
export function answerHeader(c: Context, name: string, value: string) {
  const outgoing = nodeResponse(c);
  if (outgoing) outgoing.setHeader(name, value);
  else c.header(name, value);
}

/** The security headers (`securityHeaderList`) on every answer. */
export function securityHeaders(publicUrl: string): MiddlewareHandler {
  const list = securityHeaderList(publicUrl);
  return (c, next) => withHeaders(c, next, list);
}
