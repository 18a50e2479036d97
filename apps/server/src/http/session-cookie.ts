import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { SESSION_ID_PATTERN } from "../auth/sessions";
import type { Env } from "../env";

/** `__Host-` prefixed and Secure behind https (SPEC §5); plain name on http://localhost. */
export function sessionCookieName(env: Env) {
  return env.publicUrl.startsWith("https://") ? "__Host-oidc_session" : "oidc_session";
}

/** The session id the request's cookie carries, when it has the shape of one. */
export function readSessionId(c: Context, env: Env): string | undefined {
  const value = getCookie(c, sessionCookieName(env));
  return value && SESSION_ID_PATTERN.test(value) ? value : undefined;
}

/** HttpOnly, SameSite=Lax, Secure behind https, for the session's lifetime (SPEC §5). */
export function setSessionCookie(c: Context, env: Env, id: string) {
  setCookie(c, sessionCookieName(env), id, {
    httpOnly: true,
    sameSite: "Lax",
    secure: env.publicUrl.startsWith("https://"),
    path: "/",
    maxAge: env.sessionTtlSeconds,
  });
}

export function clearSessionCookie(c: Context, env: Env) {
  deleteCookie(c, sessionCookieName(env), { path: "/", secure: env.publicUrl.startsWith("https://") });
}
