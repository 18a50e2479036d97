import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";

/**
 * The org's policy, for the connection form's live checks (SPEC §11). Same key as the Policy page's
 * query (features do not import each other), so the two share one cached answer.
 */
export const getOrgPolicy = (org: string) => unwrap(api.orgs[":org"].policy.$get({ param: { org } }));

export const orgPolicyQueryOptions = (org: string) =>
  queryOptions({ queryKey: ["orgs", org, "policy", "detail"] as const, queryFn: () => getOrgPolicy(org) });

export const useOrgPolicy = (org: string) => useQuery(orgPolicyQueryOptions(org));
