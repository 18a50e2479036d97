import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";
import { connectionKeys } from "./keys";

export const getConnection = (org: string, id: string) => unwrap(api.orgs[":org"]["oidc-connections"][":id"].$get({ param: { org, id } }));

export type Connection = Awaited<ReturnType<typeof getConnection>>;
export type Ruleset = Connection["rulesets"][number];

export const connectionQueryOptions = (org: string, id: string) =>
  queryOptions({ queryKey: connectionKeys.detail(org, id), queryFn: () => getConnection(org, id) });

export const useConnection = (org: string, id: string) => useQuery(connectionQueryOptions(org, id));
