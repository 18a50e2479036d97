import type { AuditEvent, WebhookInput } from "@oidc/shared";
import { infiniteQueryOptions, queryOptions, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, isApiError, unwrap } from "../../../lib/api-client";

export const visibilityKeys = {
  usage: (org: string, id: string, days: number) => ["orgs", org, "oidc-connections", id, "usage", days] as const,
  events: (org: string, filter: OrgEventFilter) => ["orgs", org, "events", filter] as const,
  webhook: (org: string) => ["orgs", org, "webhook"] as const,
  deliveries: (org: string) => ["orgs", org, "webhook", "deliveries"] as const,
};

// ---- usage (SPEC §12) ----

export const getUsage = (org: string, id: string, days: number) =>
  unwrap(api.orgs[":org"]["oidc-connections"][":id"].usage.$get({ param: { org, id }, query: { days: String(days) } }));
export type Usage = Awaited<ReturnType<typeof getUsage>>;

export const useUsage = (org: string, id: string, days: number) =>
  useQuery(queryOptions({ queryKey: visibilityKeys.usage(org, id, days), queryFn: () => getUsage(org, id, days) }));

// ---- organisation activity ----

/** The filters of the Activity page, as they are in its URL and the API's query. */
export interface OrgEventFilter {
  type?: string;
  outcome?: "success" | "failure";
  connectionId?: string;
  since?: string;
  until?: string;
}

const filterQuery = (filter: OrgEventFilter) =>
  Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined && v !== "")) as Record<string, string>;

// The route also streams exports (format=…), so its typed answer is a union: a page is this.
export const getOrgEvents = (org: string, filter: OrgEventFilter, cursor?: string) =>
  unwrap(
    api.orgs[":org"].events.$get({ param: { org }, query: { limit: "25", ...filterQuery(filter), ...(cursor ? { cursor } : {}) } }),
  ) as Promise<{ items: AuditEvent[]; nextCursor: string | null }>;
export type OrgEvent = AuditEvent;

export const useOrgEvents = (org: string, filter: OrgEventFilter) =>
  useInfiniteQuery(
    infiniteQueryOptions({
      queryKey: visibilityKeys.events(org, filter),
      queryFn: ({ pageParam }) => getOrgEvents(org, filter, pageParam),
      initialPageParam: undefined as string | undefined,
      getNextPageParam: (last) => last.nextCursor ?? undefined,
    }),
  );

/** The export's URL: a plain same-origin GET the browser downloads (Content-Disposition: attachment). */
export const exportUrl = (org: string, filter: OrgEventFilter, format: "csv" | "ndjson") =>
  `/api/orgs/${encodeURIComponent(org)}/events?${new URLSearchParams({ ...filterQuery(filter), format })}`;

// ---- webhooks ----

/** The org's webhook, or null when there is none (404). */
export const getWebhook = async (org: string) => {
  try {
    return await unwrap(api.orgs[":org"].webhook.$get({ param: { org } }));
  } catch (error) {
    if (isApiError(error, 404)) return null;
    throw error;
  }
};
export type Webhook = NonNullable<Awaited<ReturnType<typeof getWebhook>>>;

export const webhookQueryOptions = (org: string) => queryOptions({ queryKey: visibilityKeys.webhook(org), queryFn: () => getWebhook(org) });
export const useWebhook = (org: string) => useQuery(webhookQueryOptions(org));

export const getDeliveries = (org: string) => unwrap(api.orgs[":org"].webhook.deliveries.$get({ param: { org } }));
export type Delivery = Awaited<ReturnType<typeof getDeliveries>>["items"][number];

/** Recent deliveries, refreshed every few seconds while something is still pending. */
export const useDeliveries = (org: string, enabled: boolean) =>
  useQuery({
    queryKey: visibilityKeys.deliveries(org),
    queryFn: () => getDeliveries(org),
    enabled,
    refetchInterval: (q) => (q.state.data?.items.some((d) => d.status === "pending") ? 3000 : false),
  });

function useWebhookMutation<A, R>(org: string, fn: (arg: A) => Promise<R>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: visibilityKeys.webhook(org) }),
  });
}

export const usePutWebhook = (org: string) =>
  useWebhookMutation(org, (json: WebhookInput) => unwrap(api.orgs[":org"].webhook.$put({ param: { org }, json })));
export const useDeleteWebhook = (org: string) =>
  useWebhookMutation(org, () => unwrap(api.orgs[":org"].webhook.$delete({ param: { org } })));
export const useRotateWebhookSecret = (org: string) =>
  useWebhookMutation(org, () => unwrap(api.orgs[":org"].webhook["rotate-secret"].$post({ param: { org } })));
export const useTestWebhook = (org: string) =>
  useWebhookMutation(org, () => unwrap(api.orgs[":org"].webhook.test.$post({ param: { org } })));
