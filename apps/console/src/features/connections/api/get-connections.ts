import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";
import { connectionKeys, type ListFilters } from "./keys";

export const PAGE_SIZE = 100;

export const getConnections = (org: string, filters: ListFilters, cursor?: string, limit = PAGE_SIZE) =>
  unwrap(
    api.orgs[":org"]["oidc-connections"].$get({
      param: { org },
      query: {
        limit: String(limit),
        ...(filters.status ? { status: filters.status } : {}),
        ...(filters.q ? { q: filters.q } : {}),
        ...(cursor ? { cursor } : {}),
      },
    }),
  );

export type ConnectionPage = Awaited<ReturnType<typeof getConnections>>;
export type ConnectionSummary = ConnectionPage["items"][number];

export const connectionsQueryOptions = (org: string, filters: ListFilters) =>
  infiniteQueryOptions({
    queryKey: connectionKeys.list(org, filters),
    queryFn: ({ pageParam }) => getConnections(org, filters, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

export const useConnections = (org: string, filters: ListFilters) =>
  useInfiniteQuery({ ...connectionsQueryOptions(org, filters), placeholderData: (prev) => prev });
