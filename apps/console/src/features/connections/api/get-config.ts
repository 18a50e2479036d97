import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";

/** The deployment's facts for the workflow snippet (`GET /api/config`): the registry to log in to. */
export const getConfig = () => unwrap(api.config.$get());

export const configQueryOptions = () => queryOptions({ queryKey: ["config"], queryFn: getConfig, staleTime: Number.POSITIVE_INFINITY });

export const useConfig = () => useQuery(configQueryOptions());
