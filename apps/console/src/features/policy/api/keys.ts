import type { OrgPolicySettings } from "@oidc/shared";

export const policyKeys = {
  all: (org: string) => ["orgs", org, "policy"] as const,
  detail: (org: string) => [...policyKeys.all(org), "detail"] as const,
  dryRun: (org: string, settings: OrgPolicySettings) => [...policyKeys.all(org), "dry-run", settings] as const,
};
