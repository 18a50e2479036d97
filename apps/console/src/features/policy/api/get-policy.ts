import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";
import { policyKeys } from "./keys";

export const getPolicy = (org: string) => unwrap(api.orgs[":org"].policy.$get({ param: { org } }));

export const policyQueryOptions = (org: string) => queryOptions({ queryKey: policyKeys.detail(org), queryFn: () => getPolicy(org) });

export const usePolicy = (org: string) => useQuery(policyQueryOptions(org));

export type Policy = Awaited<ReturnType<typeof getPolicy>>;
