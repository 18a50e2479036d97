import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";
import { apiTokenKeys } from "./keys";

export const deleteApiToken = (org: string, id: string) => unwrap(api.orgs[":org"]["api-tokens"][":id"].$delete({ param: { org, id } }));

export function useDeleteApiToken(org: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => deleteApiToken(org, id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: apiTokenKeys.all(org) }),
  });
}
