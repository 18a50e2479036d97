import { claimsFromSubject } from "@oidc/shared";
import { knownOwnerIdFor, type OwnerInfo } from "./examples";
import type { TestInput } from "./jwt";

export type { OwnerInfo };

/**
 * The claims of a GitHub job with this subject (the shared derivation the development issuer uses
 * too), with the org's owner ID when the subject names the org's owner without IDs: every GitHub
 * token carries `repository_owner_id`, whatever the subject's format.
 */
export function claimsOfSubjectFor(sub: string, owner: OwnerInfo): Record<string, string> {
  return claimsFromSubject(sub, { ownerId: knownOwnerIdFor(sub, owner) });
}

/** The claims a test runs with: those pasted or decoded, or a subject's derived ones. Null when there are none. */
export function claimsToTest(input: TestInput, owner: OwnerInfo): Record<string, unknown> | null {
  switch (input.kind) {
    case "claims":
    case "token":
      return input.claims;
    case "subject":
      return claimsOfSubjectFor(String(input.claims.sub), owner);
    default:
      return null;
  }
}
