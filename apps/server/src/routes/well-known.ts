import { SUBJECT_TOKEN_TYPES, TOKEN_EXCHANGE_GRANT_TYPE } from "@oidc/shared";
import { Hono } from "hono";
import type { AppEnv, Deps } from "../http/context";
import { ACCESS_TOKEN_ALG, type SigningKeyStore } from "../token/keys";

/** `/.well-known/jwks.json` and `/.well-known/openid-configuration` (SPEC §6.5): how resource servers verify our access tokens. */
export function wellKnownRoutes(deps: Deps, keys: SigningKeyStore) {
  const base = deps.env.publicUrl;
  return new Hono<AppEnv>()
    .get("/jwks.json", async (c) => {
      c.header("Cache-Control", "public, max-age=300");
      return c.json(await keys.jwks(), 200);
    })
    .get("/openid-configuration", (c) => {
      c.header("Cache-Control", "public, max-age=3600");
      return c.json(
        {
          issuer: base,
          jwks_uri: `${base}/.well-known/jwks.json`,
          token_endpoint: `${base}/oauth/token`,
          grant_types_supported: [TOKEN_EXCHANGE_GRANT_TYPE],
          token_endpoint_auth_methods_supported: ["none"],
          subject_token_types_supported: [...SUBJECT_TOKEN_TYPES],
          access_token_signing_alg_values_supported: [ACCESS_TOKEN_ALG],
          access_token_audience: deps.env.accessTokenAudience,
        },
        200,
      );
    });
}
