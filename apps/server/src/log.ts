import pino, { type Logger } from "pino";

/** JSON lines on stdout. Secrets never reach it: no bodies, no cookies, no tokens, no query strings. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "oidc-connections" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ["password", "*.password", "token", "*.token", "cookie", "authorization"], censor: "[redacted]" },
  });
}
