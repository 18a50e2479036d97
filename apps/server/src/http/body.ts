import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import type { AppEnv } from "./context";

/**
 * A request body size limit that reads the body once, up front, as text: what every route here
 * does with it (`c.req.text()`, `c.req.json()`), which then find it in Hono's body cache.
 *
 * Served by @hono/node-server, the body is read straight from Node's `IncomingMessage`
 * (`c.env.incoming`). Hono's own `bodyLimit` asks for `c.req.raw.body`, which makes
 * @hono/node-server build a full WHATWG `Request` and a web stream for it: ≈ 10 % of a token
 * exchange's CPU in the profile (docs/performance.md). Elsewhere (`app.request()` in tests) it is
 * Hono's `bodyLimit`.
 *
 * A declared `Content-Length` over the limit is refused before reading; a chunked body once it
 * passes the limit (the connection is then closed after the answer: the rest is not read).
 */
export function bodyLimit(options: {
  maxSize: number;
  onError: (c: Context<AppEnv>) => Response | Promise<Response>;
}): MiddlewareHandler<AppEnv> {
  const fallback = honoBodyLimit(options as Parameters<typeof honoBodyLimit>[0]) as MiddlewareHandler<AppEnv>;
  return async (c, next) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (!incoming || typeof incoming.on !== "function") return fallback(c, next);
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const declared = incoming.headers["content-length"];
    if (declared !== undefined && incoming.headers["transfer-encoding"] === undefined && Number(declared) > options.maxSize) {
      c.header("Connection", "close");
      return options.onError(c);
    }
    const body = await readIncoming(incoming, options.maxSize);
    if (body === null) {
      c.header("Connection", "close");
      return options.onError(c);
    }
    // Hono keeps the promise of each body reading here (its type says the value).
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(body);
    return next();
  };
}

/** The body as UTF-8 text, or null once it passes `maxSize` bytes (reading stops there). */
function readIncoming(incoming: IncomingMessage, maxSize: number): Promise<string | null> {
  if (incoming.readableEnded) return Promise.resolve("");
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxSize) {
        done();
        // Not read further: the socket closes after the answer (Connection: close).
        incoming.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks, size).toString("utf8"));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    // The client went away before the end of its body: nobody is left to answer.
    const onClose = () => {
      done();
      reject(new Error("The request body was not received completely"));
    };
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
    incoming.on("close", onClose);
  });
}
