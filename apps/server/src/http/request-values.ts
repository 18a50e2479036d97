import type { Context } from "hono";
import type { AdminActor } from "../audit/events";
import type { ActorContext } from "../domain/context";
import type { ExpectedVersion } from "../domain/errors";
import type { AppEnv } from "./context";
import { clientIp } from "./middleware";

/** The signed-in user, or the API token the request came with (SPEC §10: it is named as the actor). */
export function actorOf(c: Context<AppEnv>): AdminActor {
  const token = c.get("apiToken");
  if (token) return { type: "api_token", id: token.id, name: token.name };
  const user = c.get("user");
  if (!user) throw new Error("requireUser must run first");
  return { type: "user", id: user.id, name: user.email };
}

/** Who makes this change and from which address, for the domain's audited writes. */
export const actorContext = (c: Context<AppEnv>, trustProxy: boolean): ActorContext => ({
  actor: actorOf(c),
  ip: clientIp(c, trustProxy),
});

/** `If-Match`: `"7"`, `W/"7"` or `7` → 7; absent or blank → "none"; anything else never matches. */
export function parseIfMatch(header: string | undefined): ExpectedVersion {
  if (header === undefined || header.trim() === "") return "none";
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  return m?.[1] ? Number(m[1]) : "unmatchable";
}

export const expectedVersion = (c: Context<AppEnv>): ExpectedVersion => parseIfMatch(c.req.header("if-match"));
