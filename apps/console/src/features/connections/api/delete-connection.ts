import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";
import { connectionKeys } from "./keys";

export const deleteConnection = (org: string, id: string) =>
  unwrap(api.orgs[":org"]["oidc-connections"][":id"].$delete({ param: { org, id } }));

export function useDeleteConnection(org: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => deleteConnection(org, id),
    onSuccess: (_data, id) => {
      queryClient.removeQueries({ queryKey: connectionKeys.detail(org, id) });
      return queryClient.invalidateQueries({ queryKey: connectionKeys.lists(org) });
    },
  });
}
