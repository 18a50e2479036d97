import {
  ConnectionCreateSchema,
  ConnectionListQuerySchema,
  ConnectionPatchSchema,
  claimsProblem,
  decideExchange,
  EventListQuerySchema,
  SimulateInputSchema,
} from "@oidc/shared";
import type { Context } from "hono";
import { Hono } from "hono";
import { decodeJwt } from "jose";
import { auditSummary, listConnectionEvents } from "../audit/events";
import { createConnection, deleteConnection, listConnections, patchConnection, requireConnection, setStatus } from "../connections/service";
import { AdminReads } from "../db/admin-reads";
import { ValidationFailed } from "../domain/errors";
import type { AppEnv, Deps } from "../http/context";
import { requireOwner } from "../http/middleware";
import { actorContext, expectedVersion } from "../http/request-values";
import { jsonBody, query, uuidParam } from "../http/validate";

const etag = (version: number) => `"${version}"`;

export function connectionRoutes(deps: Deps) {
  const { db } = deps.database;
  // GET and every list page: one prepared statement each (db/admin-reads.ts); writes read in their transaction.
  const reads = new AdminReads(deps.database);
  const actor = (c: Context<AppEnv>) => actorContext(c, deps.env.trustProxy);
  const base = "/orgs/:org/oidc-connections";
  return new Hono<AppEnv>()
    .get(base, query(ConnectionListQuerySchema), async (c) => {
      return c.json(await listConnections(reads, c.get("org").id, c.req.valid("query")), 200);
    })
    .post(base, requireOwner, jsonBody(ConnectionCreateSchema), async (c) => {
      const created = await createConnection(db, c.get("org"), actor(c), c.req.valid("json"), deps.env.trustedIssuers);
      c.header("Location", `/api/orgs/${c.get("org").slug}/oidc-connections/${created.id}`);
      c.header("ETag", etag(created.version));
      return c.json(created, 201);
    })
    .get(`${base}/:id`, async (c) => {
      const found = await requireConnection(reads, c.get("org"), uuidParam(c.req.param("id")));
      c.header("ETag", etag(found.version));
      return c.json(found, 200);
    })
    .patch(`${base}/:id`, requireOwner, jsonBody(ConnectionPatchSchema), async (c) => {
      const id = uuidParam(c.req.param("id"));
      const updated = await patchConnection(db, c.get("org"), actor(c), id, c.req.valid("json"), expectedVersion(c));
      c.header("ETag", etag(updated.version));
      return c.json(updated, 200);
    })
    .post(`${base}/:id/deactivate`, requireOwner, async (c) => {
      const id = uuidParam(c.req.param("id"));
      const updated = await setStatus(db, c.get("org"), actor(c), id, "inactive", expectedVersion(c));
      c.header("ETag", etag(updated.version));
      return c.json(updated, 200);
    })
    .post(`${base}/:id/activate`, requireOwner, async (c) => {
      const id = uuidParam(c.req.param("id"));
      const updated = await setStatus(db, c.get("org"), actor(c), id, "active", expectedVersion(c));
      c.header("ETag", etag(updated.version));
      return c.json(updated, 200);
    })
    .delete(`${base}/:id`, requireOwner, async (c) => {
      const id = uuidParam(c.req.param("id"));
      await deleteConnection(db, c.get("org"), actor(c), id, expectedVersion(c));
      return c.body(null, 204);
    })
    .get(`${base}/:id/events`, query(EventListQuerySchema), async (c) => {
      const id = uuidParam(c.req.param("id"));
      const org = c.get("org");
      const { limit, cursor, kind } = c.req.valid("query");
      if (cursor !== undefined && !/^[0-9]{1,18}$/.test(cursor)) {
        await requireConnectionOrEvents(c, id);
        throw new ValidationFailed([{ path: ["cursor"], message: "Not a cursor from a previous page" }]);
      }
      const page = await listConnectionEvents(db, org.id, id, limit, cursor, kind);
      // Only an empty page needs to tell "no such connection" (404) from "nothing more".
      if (page.items.length === 0) await requireConnectionOrEvents(c, id);
      return c.json(page, 200);
    })
    .post(`${base}/:id/simulate`, jsonBody(SimulateInputSchema), async (c) => {
      const connection = await requireConnection(reads, c.get("org"), uuidParam(c.req.param("id")));
      const body = c.req.valid("json");
      let claims: Record<string, unknown>;
      if (body.token !== undefined) {
        try {
          claims = decodeJwt(body.token.trim());
        } catch {
          throw new ValidationFailed([
            { path: ["token"], message: "Not a JWT: paste the whole ID token (three base64url parts separated by dots)" },
          ]);
        }
        const problem = claimsProblem(claims);
        if (problem) throw new ValidationFailed([{ path: ["token"], message: problem }]);
      } else {
        claims = body.claims ?? {};
      }
      // The same decision as the token endpoint's: the connection's status, then the rulesets, at this time.
      return c.json({ ...decideExchange(connection, claims, Date.now()), claims }, 200);
    })
    .get(`${base}/:id/audit`, async (c) => {
      const connection = await requireConnection(reads, c.get("org"), uuidParam(c.req.param("id")));
      return c.json(await auditSummary(db, c.get("org").id, connection), 200);
    });

  /** Events stay after a delete: they are listed while the org still has the connection or any event of it. */
  async function requireConnectionOrEvents(c: Context<AppEnv>, id: string) {
    const org = c.get("org");
    const found = await listConnectionEvents(db, org.id, id, 1);
    if (found.items.length === 0) await requireConnection(reads, org, id);
  }
}
