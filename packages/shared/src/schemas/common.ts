import { z } from "zod";
import { textRule } from "../text";

export const SCOPES = ["pull", "push", "delete"] as const;
export const ScopeSchema = z.enum(SCOPES);
export type Scope = z.infer<typeof ScopeSchema>;

/** `enforce` rulesets grant; `audit` rulesets only record what they would have matched (SPEC §11). */
export const RULESET_MODES = ["enforce", "audit"] as const;
export const RulesetModeSchema = z.enum(RULESET_MODES);
export type RulesetMode = z.infer<typeof RulesetModeSchema>;

export const ROLES = ["owner", "member"] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export const CONNECTION_TYPES = ["github-actions"] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];
export const CONNECTION_STATUSES = ["active", "inactive"] as const;
export const ConnectionStatusSchema = z.enum(CONNECTION_STATUSES);
export type ConnectionStatus = z.infer<typeof ConnectionStatusSchema>;

export const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";

/** The API's error body (SPEC §5). */
export const ApiErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() })).optional(),
  }),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

export const ERROR_CODES = [
  "validation_failed",
  "unauthenticated",
  "invalid_credentials",
  "forbidden",
  "not_found",
  "name_taken",
  "precondition_failed",
  "precondition_required",
  "policy_violation",
  "payload_too_large",
  "rate_limited",
  "internal_error",
  "service_unavailable",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The token endpoint's error codes (SPEC §6.1, RFC 6749 §5.2 and §4.1.2.1 for `temporarily_unavailable`). */
export const TOKEN_ERROR_CODES = [
  "invalid_request",
  "unsupported_grant_type",
  "invalid_grant",
  "invalid_target",
  "temporarily_unavailable",
  "server_error",
] as const;
export type TokenErrorCode = (typeof TOKEN_ERROR_CODES)[number];

/** Letters, digits, `-`, starting with a letter or digit: `octo-org`. */
export const OrgSlugSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "Use lowercase letters, digits and dashes (not at the start or end)");

/** A repository name inside an organisation (`api`, `web.frontend`). */
export const RepositoryNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.-]+$/, "Use letters, digits, '.', '_' and '-'")
  .refine((s) => s !== "." && s !== "..", "Not a valid repository name");

export const UuidSchema = z.uuid({ message: "Not a valid ID" });
export const TimestampSchema = z.iso.datetime({ offset: true });

/** A person's or an organisation's display name, as an operator types it (the CLI): NFC, the text rule. */
export const DisplayNameSchema = z.string().trim().normalize("NFC").min(1, "Enter a name").max(200).superRefine(textRule());

/** A GitHub account login (`octo-org`): letters, digits and dashes, up to 39, not starting with a dash. */
export const GithubLoginSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/, "Not a GitHub login: letters, digits and dashes");
