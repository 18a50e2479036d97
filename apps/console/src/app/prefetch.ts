import { meQueryOptions } from "../features/auth/api/get-me";
import { connectionsQueryOptions } from "../features/connections/api/get-connections";
import { type ListFilters, statusFilterOf } from "../features/connections/api/keys";
import { queryClient } from "./query";

/** The list's filters as its URL carries them (the list route's loader reads them the same way). */
export function listFiltersOf(url: URL): ListFilters {
  return {
    status: statusFilterOf(url.searchParams.get("status")),
    q: url.searchParams.get("q")?.trim() || undefined,
  };
}

const LIST_PATH = /^\/orgs\/([^/]+)\/oidc-connections\/?$/;

/**
 * At start-up, before the router has loaded the route's code: ask for the signed-in user and, on
 * the connections list, its first page, so that these requests run alongside the lazy route chunks
 * instead of after them (the loaders then find them in flight in the query cache: no request twice).
 * Errors are left to the loaders (a 401 redirects to sign-in, a 404 shows "not found").
 */
export function prefetchForLocation(url: URL) {
  void queryClient.prefetchQuery(meQueryOptions());
  const org = LIST_PATH.exec(url.pathname)?.[1];
  if (org) void queryClient.prefetchInfiniteQuery(connectionsQueryOptions(decodeURIComponent(org), listFiltersOf(url)));
}
