import type { Logger } from "pino";
import type { DatabaseHandle } from "../db/client";
import type { OrgAccess, SessionUser } from "../domain/context";
import type { Env } from "../env";

export type { OrgAccess, SessionUser };

export interface Deps {
  env: Env;
  database: DatabaseHandle;
  log: Logger;
}

export type AppEnv = {
  Variables: {
    requestId: string;
    log: Logger;
    /** Set by the session middleware on /api when a valid session cookie came. */
    user?: SessionUser;
    sessionHash?: string;
    /** Set instead of `user` when the request came with `Authorization: Bearer oidcc_…` (SPEC §10). */
    apiToken?: { id: string; name: string };
    /** Set by the org middleware under /api/orgs/:org. */
    org: OrgAccess;
    /**
     * The session middleware's answer for the org in the path, read in the same query as the session
     * (one round trip per request); `org` is undefined when the user is not a member.
     */
    orgLookup?: { slug: string; org: OrgAccess | undefined };
  };
};
