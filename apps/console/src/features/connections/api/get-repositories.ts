import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";
import { connectionKeys } from "./keys";

export const getRepositories = (org: string) => unwrap(api.orgs[":org"].repositories.$get({ param: { org } }));

export const repositoriesQueryOptions = (org: string) =>
  queryOptions({ queryKey: connectionKeys.repositories(org), queryFn: () => getRepositories(org), staleTime: 5 * 60_000 });

export const useRepositories = (org: string) => useQuery(repositoriesQueryOptions(org));
