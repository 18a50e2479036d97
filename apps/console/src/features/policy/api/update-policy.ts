import type { OrgPolicySettings } from "@oidc/shared";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";
import { policyKeys } from "./keys";

/** PUT with If-Match: 412 when someone else saved the policy in between. */
export const updatePolicy = (org: string, version: number, settings: OrgPolicySettings) =>
  unwrap(api.orgs[":org"].policy.$put({ param: { org }, json: settings }, { headers: { "If-Match": `"${version}"` } }));

export function useUpdatePolicy(org: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ version, settings }: { version: number; settings: OrgPolicySettings }) => updatePolicy(org, version, settings),
    onSuccess: (policy) => {
      queryClient.setQueryData(policyKeys.detail(org), policy);
      // The connections' flags follow the policy (their keys start so: features do not import each other).
      return queryClient.invalidateQueries({ queryKey: ["orgs", org, "oidc-connections"] });
    },
  });
}
