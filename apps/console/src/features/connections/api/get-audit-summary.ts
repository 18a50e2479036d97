import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";
import { connectionKeys } from "./keys";

/** Per audit ruleset: token exchanges it would have matched in the last 30 days, the last one, the repositories. */
export const getAuditSummary = (org: string, id: string) =>
  unwrap(api.orgs[":org"]["oidc-connections"][":id"].audit.$get({ param: { org, id } }));

export const auditSummaryQueryOptions = (org: string, id: string) =>
  queryOptions({ queryKey: connectionKeys.audit(org, id), queryFn: () => getAuditSummary(org, id) });

export const useAuditSummary = (org: string, id: string, enabled: boolean) => useQuery({ ...auditSummaryQueryOptions(org, id), enabled });

export type AuditSummary = Awaited<ReturnType<typeof getAuditSummary>>;
