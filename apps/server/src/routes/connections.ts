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
  type ConnectionRow,
  type PageValues,
  type SessionAccessRow,
  type TokenAccessRow,
} from "../db/admin-reads";
import { ValidationFailed } from "../domain/errors";
import type { AppEnv, Deps, OrgAccess } from "../http/context";
import { bearerToken, isOrgSlug, requireOwner } from "../http/middleware";
import { actorContext, expectedVersion } from "../http/request-values";
import { answerHeader } from "../http/response-headers";
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
  /** Who is calling, as a `Fold`, or undefined when the general path must decide. */
  const callerOf = (c: Context<AppEnv>): Fold | undefined => {
    const slug = c.req.param("org") ?? "";
    if (!isOrgSlug(slug)) return undefined;
    const bearer = bearerToken(c);
    if (bearer !== undefined) {
      const key = tokenKey(bearer, slug);
      return (
        key &&
        fold<TokenAccessRow>(
          (values) => reads.tokenConnectionPage(key, values),
          (id) => reads.tokenConnection(key, id),
          (c, row) => {
            const token = liveToken(row, key);
            if (!token?.org || token.lastUsedDue) return undefined;
            c.set("apiToken", { id: token.id, name: token.name });
            return token.org;
          },
        )
      );
    }
    const id = readSessionId(c, deps.env);
    if (!id) return undefined;
    const key = sessionKey(id, slug);
    return fold<SessionAccessRow>(
      (values) => reads.sessionConnectionPage(key, values),
      (id) => reads.sessionConnection(key, id),
      (c, row) => {
        const { user, org } = accessOf(row);
        if (!org) return undefined;
        c.set("user", user);
        c.set("sessionHash", key.hash);
        return org;
      },
    );
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
      const rows = await caller.page(c, values);
      return rows ? c.json(pageOf(rows, options.data), 200) : next();
    })
    .use(`${base}/:id`, async (c, next) => {
      const caller = c.req.method === "GET" ? callerOf(c) : undefined;
      const id = c.req.param("id") ?? "";
      if (!caller || !isUuid(id)) return next();
      const found = await caller.connection(c, id.toLowerCase());
      if (!found) return next();
      answerHeader(c, "ETag", etag(found.row.version));
      return c.json(connectionOf(found.org, found.row), 200);
    });
}

/** A caller's two folded reads, each answering only when the fold may answer (else undefined: the general path decides). */
interface Fold {
  page(c: Context<AppEnv>, values: PageValues): Promise<ConnectionPageRow[] | undefined>;
  connection(c: Context<AppEnv>, id: string): Promise<{ org: OrgAccess; row: ConnectionRow } | undefined>;
}

type Nulls<T> = { [K in keyof T]: null };

/**
 * The folded reads of one kind of caller, whose lookup columns are `A`: `admit` decides from them
 * whether the fold answers and, only then, sets on the context what the general path's middleware
 * would have (the org too).
 */
function fold<A>(
  page: (values: PageValues) => Promise<(A & (ConnectionPageRow | Nulls<ConnectionPageRow>))[]>,
  connection: (id: string) => Promise<(A & (ConnectionRow | Nulls<ConnectionRow>)) | undefined>,
  admit: (c: Context<AppEnv>, access: A) => OrgAccess | undefined,
): Fold {
  const admitted = (c: Context<AppEnv>, access: A) => {
    const org = admit(c, access);
    if (org) c.set("org", org);
    return org;
  };
  return {
    async page(c, values) {
      const rows = await page(values);
      if (!rows[0] || !admitted(c, rows[0])) return undefined;
      // An empty page is one row of access with null connection columns.
      return rows[0].id === null ? [] : (rows as ConnectionPageRow[]);
    },
    async connection(c, id) {
      const row = await connection(id);
      if (!row || row.id === null) return undefined;
      const org = admitted(c, row);
      return org && { org, row: row as ConnectionRow };
    },
  };
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
