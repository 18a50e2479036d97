import type { ConnectionStatus, EventKind } from "@oidc/shared";

/** Hierarchical query keys: invalidate `lists(org)` after a write, `detail(org, id)` for one connection. */
export interface ListFilters {
  status?: ConnectionStatus | undefined;
  q?: string | undefined;
}

/** A `status` search parameter as a filter: "active", "inactive", or none (anything else). */
export const statusFilterOf = (value: string | null): ConnectionStatus | undefined =>
  value === "active" || value === "inactive" ? value : undefined;

export const connectionKeys = {
  all: (org: string) => ["orgs", org, "oidc-connections"] as const,
  lists: (org: string) => [...connectionKeys.all(org), "list"] as const,
  list: (org: string, filters: ListFilters) => [...connectionKeys.lists(org), filters] as const,
  details: (org: string) => [...connectionKeys.all(org), "detail"] as const,
  detail: (org: string, id: string) => [...connectionKeys.details(org), id] as const,
  events: (org: string, id: string) => [...connectionKeys.detail(org, id), "events"] as const,
  eventsOfKind: (org: string, id: string, kind: EventKind | undefined) => [...connectionKeys.events(org, id), kind ?? "all"] as const,
  /** What the connection's audit rulesets would have matched (SPEC §11); under the detail, so a save refreshes it. */
  audit: (org: string, id: string) => [...connectionKeys.detail(org, id), "audit"] as const,
  repositories: (org: string) => ["orgs", org, "repositories"] as const,
};
