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
import { liveToken, tokenKey } from "../auth/api-tokens";
import { accessOf, sessionKey } from "../auth/sessions";
import {
  connectionOf,
  createConnection,
  deleteConnection,
  listConnections,
  pageOf,
  pageValues,
  patchConnection,
  requireConnection,
  setStatus,
} from "../connections/service";
import {
  AdminReads,
  type ConnectionPageRow,
  type PageValues,
  type SessionAccessRow,
  type SessionKey,
  type TokenAccessRow,
  type TokenKey,
} from "../db/admin-reads";
import { ValidationFailed } from "../domain/errors";
import type { AppEnv, Deps, OrgAccess } from "../http/context";
import { bearerToken, isOrgSlug, requireOwner } from "../http/middleware";
import { actorContext, expectedVersion } from "../http/request-values";
import { readSessionId } from "../http/session-cookie";
import { isUuid, jsonBody, parseQuery, query, uuidParam } from "../http/validate";

const etag = (version: number) => `"${version}"`;

const base = "/orgs/:org/oidc-connections";

/**
 * The two hot reads — a page of the list, one connection — for a signed-in user (the console) or
 * an API token (scripts, the connections-as-code tool), each folded into the caller's lookup: one
 * statement and one round trip instead of two (`db/admin-reads.ts`, docs/performance.md). Mounted
 * in front of the session middleware, they answer only a success. Everything else — no session or
 * a dead one, a token that is not live or not this org's (or whose `lastUsedAt` is due, which the
 * general path writes), not a member, a query or id that is not valid, a connection that is not
 * there — goes on (`next()`) to the general path below, which answers it as it always has: one
 * place decides every error.
 */
export function foldedReadRoutes(deps: Deps) {
  const reads = new AdminReads(deps.database);
  type Caller = { session: SessionKey; token?: undefined } | { token: TokenKey; session?: undefined };
  /** Who is calling, to fold in, or undefined when the general path must decide. */
  const callerOf = (c: Context<AppEnv>): Caller | undefined => {
    const slug = c.req.param("org") ?? "";
    if (!isOrgSlug(slug)) return undefined;
    const bearer = bearerToken(c);
    if (bearer !== undefined) {
      const token = tokenKey(bearer, slug);
      return token && { token };
    }
    const id = readSessionId(c, deps.env);
    return id ? { session: sessionKey(id, slug) } : undefined;
  };
  /** The caller and their org if the fold may answer; only then is the context set as the general path would. */
  const allowed = (c: Context<AppEnv>, caller: Caller, row: SessionAccessRow | TokenAccessRow | undefined): OrgAccess | undefined => {
    if (!row) return undefined;
    if (caller.session) {
      const access = accessOf(row as SessionAccessRow);
      if (!access.org) return undefined;
      c.set("user", access.user);
      c.set("sessionHash", caller.session.hash);
      return access.org;
    }
    const token = liveToken(row as TokenAccessRow, caller.token);
    if (!token?.org || token.lastUsedDue) return undefined;
    c.set("apiToken", { id: token.id, name: token.name });
    return token.org;
  };
  // Middleware (`use`), not routes: they add nothing to the API's types (the console's client is
  // typed by the general routes), and they answer GET only.
  return new Hono<AppEnv>()
    .use(base, async (c, next) => {
      const caller = c.req.method === "GET" ? callerOf(c) : undefined;
      if (!caller) return next();
      const options = parseQuery(ConnectionListQuerySchema, c.req.queries());
      if (!options.success) return next();
      let values: PageValues;
      try {
        values = pageValues(options.data);
      } catch {
        return next(); // a cursor that is not one: 400, but only after the caller is known (the general path)
      }
      const rows: (ConnectionPageRow | { id: null })[] = caller.session
        ? await reads.sessionConnectionPage(caller.session, values)
        : await reads.tokenConnectionPage(caller.token, values);
      const org = allowed(c, caller, rows[0] as SessionAccessRow | TokenAccessRow | undefined);
      if (!org) return next();
      c.set("org", org);
      // An empty page is one row of access with null connection columns.
      return c.json(pageOf(rows[0]?.id === null ? [] : (rows as ConnectionPageRow[]), options.data), 200);
    })
    .use(`${base}/:id`, async (c, next) => {
      const caller = c.req.method === "GET" ? callerOf(c) : undefined;
      const id = c.req.param("id") ?? "";
      if (!caller || !isUuid(id)) return next();
      const row = caller.session
        ? await reads.sessionConnection(caller.session, id.toLowerCase())
        : await reads.tokenConnection(caller.token, id.toLowerCase());
      if (!row || row.id === null) return next();
      const org = allowed(c, caller, row);
      if (!org) return next();
      c.set("org", org);
      c.header("ETag", etag(row.version));
      return c.json(connectionOf(org, row), 200);
    });
}

export function connectionRoutes(deps: Deps) {
  const { db } = deps.database;
  // GET and every list page: one prepared statement each (db/admin-reads.ts); writes read in their transaction.
  const reads = new AdminReads(deps.database);
  const actor = (c: Context<AppEnv>) => actorContext(c, deps.env.trustProxy);
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
