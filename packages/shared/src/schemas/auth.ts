import { z } from "zod";
import { OrgSlugSchema, RoleSchema, UuidSchema } from "./common";

export const LoginInputSchema = z.strictObject({
  email: z.string().trim().max(254).email("Enter an email address"),
  password: z.string().min(1, "Enter your password").max(1024),
});
export type LoginInput = z.input<typeof LoginInputSchema>;

export const UserSchema = z.object({ id: UuidSchema, email: z.string(), name: z.string() });
export type User = z.infer<typeof UserSchema>;

export const OrgSchema = z.object({
  id: UuidSchema,
  slug: OrgSlugSchema,
  name: z.string(),
  githubOwner: z.string().nullable(),
  githubOwnerId: z.string().nullable(),
});
export type Org = z.infer<typeof OrgSchema>;

export const MembershipSchema = z.object({ org: OrgSchema, role: RoleSchema });
export type Membership = z.infer<typeof MembershipSchema>;

export const MeSchema = z.object({ user: UserSchema, memberships: z.array(MembershipSchema) });
export type Me = z.infer<typeof MeSchema>;

/** `GET /api/config`: the deployment facts the console shows signed-in users (an explicit whitelist). */
export const ConsoleConfigSchema = z.object({
  /** The registry's `service` (SPEC §9, REGISTRY_SERVICE): the host the workflow snippet logs in to. */
  registryService: z.string(),
});
export type ConsoleConfig = z.infer<typeof ConsoleConfigSchema>;

export const RepositorySchema = z.object({ id: UuidSchema, name: z.string(), fullName: z.string() });
export type Repository = z.infer<typeof RepositorySchema>;
export const RepositoryListSchema = z.object({ items: z.array(RepositorySchema) });
