export const apiTokenKeys = {
  all: (org: string) => ["orgs", org, "api-tokens"] as const,
};
