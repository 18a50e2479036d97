/**
 * What the domain (connections, policy, webhooks, API tokens, sessions) can refuse, in its own
 * words: no status codes, no HTTP. `http/errors.ts`'s `toErrorResponse` (the one `onError`) maps
 * each to the SPEC §5 error body.
 */

/** Where in the request a problem is: `["rulesets", 0, "resources", 1]`, and what to do about it. */
export interface Issue {
  path: (string | number)[];
  message: string;
}

export abstract class DomainError extends Error {}

/** Nothing by that id in this organisation, or nothing the caller may see (SPEC §5: never reveal existence). */
export class NotFound extends DomainError {
  override name = "NotFound";
}

/** The input is well-formed but not acceptable here (an untrusted issuer, a repository of another org …). */
export class ValidationFailed extends DomainError {
  override name = "ValidationFailed";
  constructor(
    public readonly issues: Issue[],
    message = "The request is not valid; see issues",
  ) {
    super(message);
  }
}

/** Rulesets that break the organisation's policy (SPEC §11); `issues` say what to write instead. */
export class PolicyViolation extends DomainError {
  override name = "PolicyViolation";
  constructor(public readonly issues: Issue[]) {
    super("These rulesets break the organisation's policy; see issues for what to write instead");
  }
}

/** The name is already used in the organisation. */
export class NameTaken extends DomainError {
  override name = "NameTaken";
  constructor(
    message: string,
    public readonly issues: Issue[],
  ) {
    super(message);
  }
}

/** A write that must name the version it edits did not (SPEC §5: 428). */
export class VersionRequired extends DomainError {
  override name = "VersionRequired";
}

/** The version named is not the current one: someone else changed it (SPEC §5: 412). */
export class VersionMismatch extends DomainError {
  override name = "VersionMismatch";
}

/** The caller may see this but not do that. */
export class Forbidden extends DomainError {
  override name = "Forbidden";
}

/**
 * The version a write expects, as the route read it from `If-Match`: a number, `"none"` (no
 * precondition given) or `"unmatchable"` (a precondition that names no version, so it never holds).
 */
export type ExpectedVersion = number | "none" | "unmatchable";

/** 428 when a version is required and none was given; 412 when the one given is not `current`. */
export function checkVersion(expected: ExpectedVersion, current: number, required: boolean, mismatch: string, missing: string): void {
  if (expected === "none") {
    if (required) throw new VersionRequired(missing);
    return;
  }
  if (expected !== current) throw new VersionMismatch(mismatch);
}
