import { useQuery } from "@tanstack/react-query";
import { data, useParams } from "react-router";
import { meQueryOptions } from "../features/auth/api/get-me";
import { requireMe } from "./auth";

/** The membership for `:org`, or a 404 (same as the API: never reveal whether the org exists). */
export async function requireOrg(request: Request, slug: string | undefined) {
  const me = await requireMe(request);
  const membership = me.memberships.find((m) => m.org.slug === slug);
  if (!membership) throw data("Organisation not found", { status: 404 });
  return membership;
}

/** The current org's membership; `canManage` is true for owners only (members see everything read-only). */
export function useOrg() {
  const { org: slug = "" } = useParams();
  const me = useQuery(meQueryOptions());
  const membership = me.data?.memberships.find((m) => m.org.slug === slug);
  if (!membership) throw data("Organisation not found", { status: 404 });
  return { ...membership, slug, canManage: membership.role === "owner" };
}
