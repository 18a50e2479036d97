import type { AppType } from "@oidc/server/app";
import { hc } from "hono/client";

export interface ApiIssue {
  path: (string | number)[];
  message: string;
}

/** Every failed request becomes one of these: the API's `{error:{code,message,issues}}`, normalised. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: ApiIssue[];
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, code: string, message: string, issues: ApiIssue[] = [], retryAfterSeconds?: number) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.issues = issues;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export const isApiError = (error: unknown, status?: number): error is ApiError =>
  error instanceof ApiError && (status === undefined || error.status === status);

const FALLBACK_MESSAGES: Record<number, string> = {
  401: "Sign in first; your session is missing or has expired",
  403: "You do not have permission to do this",
  404: "Not found",
  412: "Someone else changed this in the meantime",
  429: "Too many requests; wait a moment and try again",
  500: "Something went wrong on our side; try again",
  503: "The service is temporarily unavailable; try again",
};

/** Builds an ApiError from any non-2xx response, whatever its body. */
export async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const err = (body as { error?: { code?: unknown; message?: unknown; issues?: unknown } } | undefined)?.error;
  const retry = Number(res.headers.get("retry-after"));
  const issues = Array.isArray(err?.issues)
    ? (err.issues as unknown[]).flatMap((i) => {
        const issue = i as { path?: unknown; message?: unknown };
        return Array.isArray(issue.path) && typeof issue.message === "string"
          ? [
              {
                path: issue.path.filter((p): p is string | number => typeof p === "string" || typeof p === "number"),
                message: issue.message,
              },
            ]
          : [];
      })
    : [];
  return new ApiError(
    res.status,
    typeof err?.code === "string" ? err.code : `http_${res.status}`,
    typeof err?.message === "string" ? err.message : (FALLBACK_MESSAGES[res.status] ?? `Request failed (${res.status})`),
    issues,
    Number.isFinite(retry) && retry > 0 ? retry : undefined,
  );
}

interface AnyResponse {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}

type Body<R extends AnyResponse> = R extends { json(): Promise<infer T> } ? T : never;

/** Awaits a typed client call: the success body, or a thrown ApiError. */
export async function unwrap<R extends AnyResponse>(call: Promise<R>): Promise<Body<R>> {
  let res: R;
  try {
    res = await call;
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "network_error", "Cannot reach the server; check your connection and try again");
  }
  if (!res.ok) throw await toApiError(res as unknown as Response);
  if (res.status === 204) return undefined as Body<R>;
  return (await res.json()) as Body<R>;
}

/** The one typed client (Hono RPC): request and response types come from the server's routes. */
export const api = hc<AppType>(typeof window === "undefined" ? "http://localhost/" : window.location.origin, {
  init: { credentials: "same-origin" },
}).api;

/** Issues keyed by their dotted path (`"rulesets.0.subject"`): the shared helper, also used by the forms. */
export { issuesByPath } from "@oidc/shared";
