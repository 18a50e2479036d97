import type { ConnectionPatchSchema } from "@oidc/shared";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { z } from "zod";
import { api, unwrap } from "../../../lib/api-client";
import { connectionKeys } from "./keys";

export type ConnectionPatchBody = z.output<typeof ConnectionPatchSchema>;

/** PATCH with If-Match: the server answers 412 when someone else saved in between. */
export const updateConnection = (org: string, id: string, version: number, body: ConnectionPatchBody) =>
  unwrap(
    api.orgs[":org"]["oidc-connections"][":id"].$patch({ param: { org, id }, json: body }, { headers: { "If-Match": `"${version}"` } }),
  );

export function useUpdateConnection(org: string, id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ version, body }: { version: number; body: ConnectionPatchBody }) => updateConnection(org, id, version, body),
    onSuccess: (updated) => {
      queryClient.setQueryData(connectionKeys.detail(org, id), updated);
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: connectionKeys.lists(org) }),
        queryClient.invalidateQueries({ queryKey: connectionKeys.events(org, id) }),
      ]);
    },
  });
}
