import { ApiTokenCreateSchema } from "@oidc/shared";
import type { Context } from "hono";
import { Hono } from "hono";
import { createApiToken, deleteApiToken, listApiTokens } from "../auth/api-tokens";
import { Forbidden } from "../domain/errors";
import type { AppEnv, Deps } from "../http/context";
import { clientIp, requireOwner } from "../http/middleware";
import { jsonBody, uuidParam } from "../http/validate";

/** Creating and revoking tokens needs a signed-in owner: a token cannot mint or revoke tokens. */
const sessionUser = (c: Context<AppEnv>) => {
  const user = c.get("user");
  if (!user) throw new Forbidden("API tokens are created and revoked by an owner signed in to the console, not with an API token");
  return user;
};

/** SPEC §10: an organisation's API tokens. The secret is returned by the create only. */
export function apiTokenRoutes(deps: Deps) {
  const { db } = deps.database;
  const ip = (c: Context<AppEnv>) => clientIp(c, deps.env.trustProxy);
  const base = "/orgs/:org/api-tokens";
  return new Hono<AppEnv>()
    .get(base, async (c) => c.json({ items: await listApiTokens(db, c.get("org").id) }, 200))
    .post(base, requireOwner, jsonBody(ApiTokenCreateSchema), async (c) => {
      const created = await createApiToken(db, c.get("org"), { user: sessionUser(c), ip: ip(c) }, c.req.valid("json"));
      c.header("Location", `/api/orgs/${c.get("org").slug}/api-tokens/${created.id}`);
      c.header("Cache-Control", "no-store");
      return c.json(created, 201);
    })
    .delete(`${base}/:id`, requireOwner, async (c) => {
      await deleteApiToken(db, c.get("org"), { user: sessionUser(c), ip: ip(c) }, uuidParam(c.req.param("id")));
      return c.body(null, 204);
    });
}
