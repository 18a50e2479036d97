import type { ApiTokenCreate } from "@oidc/shared";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";
import { apiTokenKeys } from "./keys";

export const createApiToken = (org: string, json: ApiTokenCreate) => unwrap(api.orgs[":org"]["api-tokens"].$post({ param: { org }, json }));

export function useCreateApiToken(org: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (json: ApiTokenCreate) => createApiToken(org, json),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: apiTokenKeys.all(org) }),
  });
}
