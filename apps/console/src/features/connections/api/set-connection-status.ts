import type { ConnectionStatus } from "@oidc/shared";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";
import { connectionKeys } from "./keys";

export const setConnectionStatus = (org: string, id: string, status: ConnectionStatus) => {
  const route = api.orgs[":org"]["oidc-connections"][":id"];
  return unwrap(status === "active" ? route.activate.$post({ param: { org, id } }) : route.deactivate.$post({ param: { org, id } }));
};

export function useSetConnectionStatus(org: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, status }: { id: string; status: ConnectionStatus }) => setConnectionStatus(org, id, status),
    onSuccess: (updated) => {
      queryClient.setQueryData(connectionKeys.detail(org, updated.id), updated);
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: connectionKeys.lists(org) }),
        queryClient.invalidateQueries({ queryKey: connectionKeys.events(org, updated.id) }),
      ]);
    },
  });
}
