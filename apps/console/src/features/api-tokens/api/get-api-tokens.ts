import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";
import { apiTokenKeys } from "./keys";

export const getApiTokens = (org: string) => unwrap(api.orgs[":org"]["api-tokens"].$get({ param: { org } }));

export const apiTokensQueryOptions = (org: string) => queryOptions({ queryKey: apiTokenKeys.all(org), queryFn: () => getApiTokens(org) });

export const useApiTokens = (org: string) => useQuery(apiTokensQueryOptions(org));

export type ApiTokenItem = Awaited<ReturnType<typeof getApiTokens>>["items"][number];
