import type { Role } from "@oidc/shared";
import type { AdminActor } from "../audit/events";

/** A signed-in user. */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
}

/** An organisation the caller belongs to, with their role in it. */
export interface OrgAccess {
  id: string;
  slug: string;
  name: string;
  role: Role;
}

/**
 * Who makes a change and from where: what every audited write records (SPEC §5, §10). The route
 * builds it from the session or API token and the client's address; the domain never reads HTTP.
 */
export interface ActorContext {
  actor: AdminActor;
  ip: string | null;
}

/** The same for what only a signed-in user may do (create or revoke API tokens, SPEC §10). */
export interface UserContext {
  user: SessionUser;
  ip: string | null;
}
