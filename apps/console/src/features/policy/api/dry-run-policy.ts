import type { OrgPolicySettings } from "@oidc/shared";
import { keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";
import { policyKeys } from "./keys";

/** What these settings would flag among the org's connections; nothing is saved. */
export const dryRunPolicy = (org: string, settings: OrgPolicySettings) =>
  unwrap(api.orgs[":org"].policy["dry-run"].$post({ param: { org }, json: settings }));

export const policyDryRunQueryOptions = (org: string, settings: OrgPolicySettings) =>
  queryOptions({
    queryKey: policyKeys.dryRun(org, settings),
    queryFn: () => dryRunPolicy(org, settings),
    placeholderData: keepPreviousData,
  });

export const usePolicyDryRun = (org: string, settings: OrgPolicySettings) => useQuery(policyDryRunQueryOptions(org, settings));
