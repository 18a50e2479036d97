import type { ConnectionCreateSchema } from "@oidc/shared";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { z } from "zod";
import { api, unwrap } from "../../../lib/api-client";
import { connectionKeys } from "./keys";

/** The parsed form (the schema's output): what the server's validator hands its handler. */
export type ConnectionCreateBody = z.output<typeof ConnectionCreateSchema>;

export const createConnection = (org: string, body: ConnectionCreateBody) =>
  unwrap(api.orgs[":org"]["oidc-connections"].$post({ param: { org }, json: body }));

export function useCreateConnection(org: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ConnectionCreateBody) => createConnection(org, body),
    onSuccess: (created) => {
      queryClient.setQueryData(connectionKeys.detail(org, created.id), created);
      return queryClient.invalidateQueries({ queryKey: connectionKeys.lists(org) });
    },
  });
}
