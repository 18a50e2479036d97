import { OrgPolicySettingsSchema } from "@oidc/shared";
import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv, Deps } from "../http/context";
import { requireOwner } from "../http/middleware";
import { actorContext, expectedVersion } from "../http/request-values";
import { jsonBody } from "../http/validate";
import { dryRunPolicy, getPolicy, putPolicy } from "../policy/service";

/** SPEC §11: the organisation's policy. Members read it; owners replace it with If-Match. */
export function policyRoutes(deps: Deps) {
  const { db } = deps.database;
  const actor = (c: Context<AppEnv>) => actorContext(c, deps.env.trustProxy);
  const path = "/orgs/:org/policy";
  return (
    new Hono<AppEnv>()
      .get(path, async (c) => {
        const policy = await getPolicy(db, c.get("org").id);
        c.header("ETag", `"${policy.version}"`);
        return c.json(policy, 200);
      })
      .put(path, requireOwner, jsonBody(OrgPolicySettingsSchema), async (c) => {
        const policy = await putPolicy(db, c.get("org"), actor(c), c.req.valid("json"), expectedVersion(c));
        c.header("ETag", `"${policy.version}"`);
        return c.json(policy, 200);
      })
      // Changes nothing: members may ask too (the Policy page shows them what a setting would flag).
      .post(`${path}/dry-run`, jsonBody(OrgPolicySettingsSchema), async (c) => {
        return c.json(await dryRunPolicy(db, c.get("org").id, c.req.valid("json")), 200);
      })
  );
}
