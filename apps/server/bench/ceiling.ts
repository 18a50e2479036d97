/**
 * The bare ceiling for bench/exchange.ts: a minimal Hono endpoint doing what every exchange must
 * do at the least — parse the form, one RS256 verify (cached key), one ES256 sign — and nothing
 * else (no database, no matching, no replay claim). Run as its own process by the benchmark.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { compactVerify, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";

const jwk = JSON.parse(process.env.CEILING_JWK ?? "{}") as JWK;
const verifyKey = await importJWK(jwk, "RS256");
const { privateKey } = await generateKeyPair("ES256");
const decoder = new TextDecoder();

const app = new Hono().post("/oauth/token", async (c) => {
  const params = new URLSearchParams(await c.req.text());
  const { payload } = await compactVerify(params.get("subject_token") ?? "", verifyKey, { algorithms: ["RS256"] });
  const claims = JSON.parse(decoder.decode(payload)) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  const accessToken = await new SignJWT({ repository: claims.repository, ref: claims.ref })
    .setProtectedHeader({ alg: "ES256", kid: "ceiling" })
    .setSubject(String(claims.sub))
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(privateKey);
  c.header("Cache-Control", "no-store");
  return c.json({ access_token: accessToken, token_type: "Bearer", expires_in: 300 }, 200);
});

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1" }, (info) => {
  process.stdout.write(`listening ${info.port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
