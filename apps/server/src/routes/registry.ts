import { RegistryTokenFormSchema } from "@oidc/shared";
import type { Context } from "hono";
import { Hono } from "hono";
import { bodyLimit } from "../http/body";
import type { AppEnv, Deps } from "../http/context";
import { clientIp } from "../http/middleware";
import { rateLimit } from "../http/rate-limit";
import { RegistryError, type RegistryTokenRequest, type RegistryTokenService, registryRateLimited } from "../registry/service";
import type { TokenServices } from "../token";
import { TokenError } from "../token/errors";
import { MAX_TOKEN_REQUEST_BYTES, parseParams } from "./oauth";

const RegistryCredentialsSchema = RegistryTokenFormSchema.pick({ grant_type: true, username: true, password: true });

/** The registry's error body (SPEC §9); 401s name our realm so clients know to send Basic credentials. */
function errorResponse(c: Context<AppEnv>, service: RegistryTokenService, error: RegistryError) {
  c.header("Cache-Control", "no-store");
  if (error.status === 401) c.header("WWW-Authenticate", `Basic realm="${service.realm}"`);
  if (error.retryAfterSeconds !== undefined) c.header("Retry-After", String(error.retryAfterSeconds));
  return c.json({ errors: [{ code: error.code, message: `${error.message} (request id ${c.get("requestId")})` }] }, error.status);
}

/** SPEC §13: the database did not answer in time; in the registry's error format, with Retry-After. */
export function registryUnavailable(c: Context<AppEnv>, retryAfterSeconds: number) {
  c.header("Cache-Control", "no-store");
  c.header("Retry-After", String(retryAfterSeconds));
  const message = `The service cannot reach its database at the moment; try again later (request id ${c.get("requestId")})`;
  return c.json({ errors: [{ code: "UNAVAILABLE", message }] }, 503);
}

/** `Authorization: Basic base64(username:password)`; undefined for none or another scheme. */
function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header ?? "");
  if (!match?.[1] || match[1].length > 16_384) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The registry token service (SPEC §9), at /registry:
 * `GET /token` (Basic auth, `service`, repeated `scope`: docker, skopeo), `POST /token` (form
 * `grant_type=password`: containerd, buildkit) and `GET /ca.pem` (the registry's `rootcertbundle`).
 */
export function registryRoutes(deps: Deps, services: TokenServices) {
  const service = services.registry;
  // The exchange's per-client budget, counted before anything else (SPEC §9: one budget).
  const limited = rateLimit(
    services.ipLimiter,
    (c) => clientIp(c, deps.env.trustProxy) ?? "unknown",
    (c, retryAfterSeconds) => errorResponse(c, service, registryRateLimited(retryAfterSeconds)),
  );
  const limitedBody = bodyLimit({
    maxSize: MAX_TOKEN_REQUEST_BYTES,
    onError: (c) =>
      errorResponse(c, service, new RegistryError(400, "INVALID_REQUEST", `The body is larger than ${MAX_TOKEN_REQUEST_BYTES} bytes`)),
  });
  const answer = async (c: Context<AppEnv>, request: () => Promise<RegistryTokenRequest>) => {
    try {
      const result = await service.issue(await request(), { ip: clientIp(c, deps.env.trustProxy), requestId: c.get("requestId") });
      c.header("Cache-Control", "no-store");
      c.header("Pragma", "no-cache");
      return c.json(result, 200);
    } catch (error) {
      if (error instanceof RegistryError) return errorResponse(c, service, error);
      (c.get("log") ?? deps.log).error({ err: error }, "registry token failed");
      return errorResponse(c, service, new RegistryError(503, "UNAVAILABLE", "Something went wrong on our side; try again", 5));
    }
  };

  return new Hono<AppEnv>()
    .get("/token", limited, (c) =>
      answer(c, async () => {
        const query = new URL(c.req.url).searchParams;
        const credentials = basicCredentials(c.req.header("authorization"));
        return {
          service: query.getAll("service"),
          scope: query.getAll("scope"),
          username: credentials?.username ?? query.get("account") ?? undefined,
          password: credentials?.password,
        };
      }),
    )
    .post("/token", limited, limitedBody, (c) =>
      answer(c, async () => {
        let params: URLSearchParams;
        try {
          params = parseParams(c.req.header("content-type") ?? "", await c.req.text());
        } catch (error) {
          if (error instanceof TokenError) throw new RegistryError(400, "INVALID_REQUEST", error.description);
          throw error;
        }
        // grant_type (one, `password`), username and password once each: the shared form schema;
        // `service` and `scope` may repeat and are checked by the service (SPEC §9).
        const grantType = params.getAll("grant_type");
        const single = (name: string) => {
          const all = params.getAll(name);
          if (all.length > 1) throw new RegistryError(400, "INVALID_REQUEST", `The parameter ${name} is given more than once`);
          return all[0];
        };
        const form = RegistryCredentialsSchema.safeParse({
          grant_type: grantType.length === 1 ? grantType[0] : undefined,
          username: single("username"),
          password: single("password"),
        });
        if (!form.success) throw new RegistryError(400, "INVALID_REQUEST", form.error.issues[0]?.message ?? "Malformed request");
        return {
          service: params.getAll("service"),
          scope: params.getAll("scope"),
          username: form.data.username,
          password: form.data.password,
        };
      }),
    )
    .get("/ca.pem", async (c) => {
      let certificate: string;
      try {
        certificate = (await service.ca()).certificate;
      } catch (error) {
        // Read from the database (created there on first start): a registry's start-up script retries.
        (c.get("log") ?? deps.log).error({ err: error }, "registry CA unavailable");
        c.header("Retry-After", "5");
        return c.text("The registry CA cannot be read at the moment; try again\n", 503);
      }
      c.header("Cache-Control", "public, max-age=3600");
      return c.body(certificate, 200, { "Content-Type": "application/x-pem-file" });
    });
}
