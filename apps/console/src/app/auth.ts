import { redirect } from "react-router";
import { meQueryOptions } from "../features/auth/api/get-me";
import { isApiError } from "../lib/api-client";
import { queryClient } from "./query";

/** Only same-app paths: "/orgs/x" yes, "//evil.example" or "https://…" no. */
export function safeNext(next: string | null): string {
  return next?.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}

export const signInPath = (location: { pathname: string; search: string }) => {
  const here = `${location.pathname}${location.search}`;
  return here === "/" ? "/sign-in" : `/sign-in?next=${encodeURIComponent(here)}`;
};

/** The signed-in user, or a redirect to sign-in that comes back here afterwards. */
export async function requireMe(request: Request) {
  try {
    return await queryClient.ensureQueryData(meQueryOptions());
  } catch (error) {
    if (isApiError(error, 401)) throw redirect(signInPath(new URL(request.url)));
    throw error;
  }
}
