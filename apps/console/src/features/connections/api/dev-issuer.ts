import { ID_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from "@oidc/shared";
import { queryOptions, useMutation, useQuery } from "@tanstack/react-query";
import { ApiError, toApiError } from "../../../lib/api-client";

// The development issuer (SPEC §6.6) and the token endpoint are outside /api, so not in the typed client.

async function postJson(url: string, init: RequestInit): Promise<unknown> {
  const res = await fetch(url, { credentials: "same-origin", ...init });
  if (!res.ok) {
    const body = (await res
      .clone()
      .json()
      .catch(() => undefined)) as { error?: unknown; error_description?: unknown } | undefined;
    if (typeof body?.error === "string")
      throw new ApiError(res.status, body.error, typeof body.error_description === "string" ? body.error_description : body.error);
    throw await toApiError(res);
  }
  return res.json();
}

/** Is the development issuer running here? (Only outside production with DEV_ISSUER=1.) */
export const devIssuerQueryOptions = () =>
  queryOptions({
    queryKey: ["dev-issuer"],
    queryFn: async () => {
      const res = await fetch("/dev-issuer/.well-known/openid-configuration").catch(() => undefined);
      if (!res?.ok) return null;
      const body = (await res.json().catch(() => null)) as { issuer?: string } | null;
      return typeof body?.issuer === "string" ? { issuer: body.issuer } : null;
    },
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });

export const useDevIssuer = () => useQuery(devIssuerQueryOptions());

export interface ExchangeResult {
  token: string;
  response: Record<string, unknown>;
}

/** Mints a GitHub-shaped ID token with the dev issuer, then exchanges it at /oauth/token. */
export const useMintAndExchange = () =>
  useMutation({
    mutationFn: async ({ connectionId, claims }: { connectionId: string; claims: Record<string, unknown> }): Promise<ExchangeResult> => {
      const minted = (await postJson("/dev-issuer/token", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ claims }),
      })) as { token: string };
      const form = new URLSearchParams({
        grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
        subject_token_type: ID_TOKEN_TYPE,
        subject_token: minted.token,
        connection_id: connectionId,
      });
      const response = (await postJson("/oauth/token", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: form,
      })) as Record<string, unknown>;
      return { token: minted.token, response };
    },
  });
