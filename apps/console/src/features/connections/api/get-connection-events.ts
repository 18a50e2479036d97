import type { EventKind } from "@oidc/shared";
import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";
import { connectionKeys } from "./keys";

export const getConnectionEvents = (org: string, id: string, cursor?: string, kind?: EventKind) =>
  unwrap(
    api.orgs[":org"]["oidc-connections"][":id"].events.$get({
      param: { org, id },
      query: { limit: "20", ...(cursor ? { cursor } : {}), ...(kind ? { kind } : {}) },
    }),
  );

export type ConnectionEvent = Awaited<ReturnType<typeof getConnectionEvents>>["items"][number];

export const connectionEventsQueryOptions = (org: string, id: string, kind?: EventKind) =>
  infiniteQueryOptions({
    queryKey: connectionKeys.eventsOfKind(org, id, kind),
    queryFn: ({ pageParam }) => getConnectionEvents(org, id, pageParam, kind),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

export const useConnectionEvents = (org: string, id: string, kind?: EventKind) =>
  useInfiniteQuery(connectionEventsQueryOptions(org, id, kind));
