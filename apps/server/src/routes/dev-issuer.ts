import { Hono } from "hono";
import { bodyLimit } from "../http/body";
import type { AppEnv } from "../http/context";
import type { DevIssuer } from "../token/dev-issuer";

const oauthError = (error: string, description: string) => ({ error, error_description: description });

/**
 * The development issuer at /dev-issuer (SPEC §6.6): discovery, JWKS, and
 * `POST /token {claims}` → `{token}`. Mounted only when DEV_ISSUER=1 (never in production).
 */
export function devIssuerRoutes(issuer: DevIssuer) {
  return new Hono<AppEnv>()
    .get("/.well-known/openid-configuration", (c) =>
      c.json(
        {
          issuer: issuer.url,
          jwks_uri: `${issuer.url}/.well-known/jwks`,
          subject_types_supported: ["public", "pairwise"],
          response_types_supported: ["id_token"],
          id_token_signing_alg_values_supported: ["RS256"],
          scopes_supported: ["openid"],
          claims_supported: [
            "sub",
            "aud",
            "exp",
            "iat",
            "iss",
            "jti",
            "nbf",
            "ref",
            "repository",
            "repository_owner",
            "repository_owner_id",
            "run_id",
            "sha",
            "workflow",
            "job_workflow_ref",
            "event_name",
            "actor",
          ],
        },
        200,
      ),
    )
    .get("/.well-known/jwks", async (c) => {
      c.header("Cache-Control", "public, max-age=300");
      return c.json(await issuer.jwks(), 200);
    })
    .post(
      "/token",
      bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json(oauthError("invalid_request", "The body is larger than 64 KiB"), 413) }),
      async (c) => {
        let body: unknown = {};
        const text = await c.req.text();
        if (text.trim()) {
          try {
            body = JSON.parse(text);
          } catch {
            return c.json(oauthError("invalid_request", 'Send JSON: {"claims": {…}}'), 400);
          }
        }
        const claims = (body as { claims?: unknown }).claims ?? {};
        if (typeof body !== "object" || body === null || typeof claims !== "object" || claims === null || Array.isArray(claims))
          return c.json(oauthError("invalid_request", "claims must be an object"), 400);
        c.header("Cache-Control", "no-store");
        return c.json({ token: await issuer.mint(claims as Record<string, unknown>) }, 200);
      },
    );
}
