import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";
import { connectionKeys } from "./keys";

export const getConnectionEvents = (org: string, id: string, cursor?: string) =>
  unwrap(
    api.orgs[":org"]["oidc-connections"][":id"].events.$get({
      param: { org, id },
      query: { limit: "20", ...(cursor ? { cursor } : {}) },
    }),
  );

export type ConnectionEvent = Awaited<ReturnType<typeof getConnectionEvents>>["items"][number];

export const connectionEventsQueryOptions = (org: string, id: string) =>
  infiniteQueryOptions({
    queryKey: connectionKeys.events(org, id),
    queryFn: ({ pageParam }) => getConnectionEvents(org, id, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

export const useConnectionEvents = (org: string, id: string) => useInfiniteQuery(connectionEventsQueryOptions(org, id));
