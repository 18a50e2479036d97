import { type ErrorCode, issuePath } from "@oidc/shared";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { isDatabaseUnavailable } from "../db/client";
import {
  DomainError,
  Forbidden,
  type Issue,
  NameTaken,
  NotFound,
  PolicyViolation,
  ValidationFailed,
  VersionMismatch,
  VersionRequired,
} from "../domain/errors";

export type { Issue };

/**
 * An error only the HTTP layer raises (sign-in, API tokens, rate limits), answered with its SPEC §5
 * body: `{ error: { code, message, issues? } }`. The domain throws `DomainError`s instead.
 */
export class ApiError extends Error {
  constructor(
    public readonly status: ContentfulStatusCode,
    public readonly code: ErrorCode,
    message: string,
    public readonly issues?: Issue[],
    public readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/**
 * One body for every 404 of an org or connection, whether it does not exist, is malformed or belongs
 * to an org the user is not a member of (SPEC §5: never reveal existence).
 */
export const NOT_FOUND_MESSAGE = "Not found, or you do not have access to it";

/** A domain refusal → its status and SPEC §5 code. */
function fromDomain(err: DomainError): { status: ContentfulStatusCode; code: ErrorCode; message: string; issues?: Issue[] } {
  if (err instanceof NotFound) return { status: 404, code: "not_found", message: NOT_FOUND_MESSAGE };
  if (err instanceof ValidationFailed) return { status: 400, code: "validation_failed", message: err.message, issues: err.issues };
  if (err instanceof PolicyViolation) return { status: 400, code: "policy_violation", message: err.message, issues: err.issues };
  if (err instanceof Forbidden) return { status: 403, code: "forbidden", message: err.message };
  if (err instanceof NameTaken) return { status: 409, code: "name_taken", message: err.message, issues: err.issues };
  if (err instanceof VersionMismatch) return { status: 412, code: "precondition_failed", message: err.message };
  if (err instanceof VersionRequired) return { status: 428, code: "precondition_required", message: err.message };
  // A DomainError subclass added without a mapping is a bug: answer 500 rather than guess.
  return { status: 500, code: "internal_error", message: INTERNAL_ERROR_MESSAGE };
}

const INTERNAL_ERROR_MESSAGE = "Something went wrong on our side; try again, and quote the request id if it persists";

/** Hono's validator says so when a JSON body does not parse (`hono/validator`). */
const MALFORMED_JSON = /^Malformed JSON\b/;

/** Seconds a client is asked to wait after a 503 (SPEC §13). */
export const RETRY_AFTER_SECONDS = 5;

/** The admin API's answer when the database cannot serve the request now (SPEC §13). */
export const serviceUnavailable = (message = "The database is not answering at the moment; try again in a few seconds") =>
  new ApiError(503, "service_unavailable", message, undefined, { "Retry-After": String(RETRY_AFTER_SECONDS) });

/** zod issues → our issues; an unknown key is reported at its own path, e.g. `["rulesets", 0, "id"]`. */
export function zodIssues(error: z.ZodError): Issue[] {
  const out: Issue[] = [];
  for (const issue of error.issues) {
    const path = issuePath(issue.path);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: [...path, key], message: `Unknown field "${key}"` });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

export function errorBody(code: ErrorCode, message: string, issues?: Issue[]) {
  return { error: issues?.length ? { code, message, issues } : { code, message } };
}

/** The one place errors become responses: no stack, no SQL, ever. */
export function toErrorResponse(c: Context, err: unknown, onUnexpected: (err: unknown) => void, onUnavailable?: (err: unknown) => void) {
  if (err instanceof ApiError) {
    if (err.headers) for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json(errorBody(err.code, err.message, err.issues), err.status);
  }
  if (err instanceof DomainError) {
    const { status, code, message, issues } = fromDomain(err);
    if (status === 500) onUnexpected(err);
    return c.json(errorBody(code, message, issues), status);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    if (status === 413) return c.json(errorBody("payload_too_large", "The request body is too large"), 413);
    if (status === 400 && MALFORMED_JSON.test(err.message))
      return c.json(errorBody("validation_failed", "The request body is not valid JSON", [{ path: [], message: "Malformed JSON" }]), 400);
    if (status === 401) return c.json(errorBody("unauthenticated", "Sign in first"), 401);
    if (status < 500)
      return c.json(
        errorBody("validation_failed", err.message ? `The request is not valid: ${err.message}` : "Bad request"),
        status as ContentfulStatusCode,
      );
  }
  if (isDatabaseUnavailable(err)) {
    onUnavailable?.(err);
    const unavailable = serviceUnavailable();
    c.header("Retry-After", String(RETRY_AFTER_SECONDS));
    return c.json(errorBody(unavailable.code, unavailable.message), 503);
  }
  onUnexpected(err);
  return c.json(errorBody("internal_error", INTERNAL_ERROR_MESSAGE), 500);
}
