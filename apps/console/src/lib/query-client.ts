import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { isApiError } from "./api-client";

let onUnauthenticated: () => void = () => {};
/** The router registers how to send a signed-out user to the sign-in page. */
export function setUnauthenticatedHandler(handler: () => void) {
  onUnauthenticated = handler;
}

const signedOut = (error: unknown) => {
  if (isApiError(error, 401)) onUnauthenticated();
};

export function createQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache({ onError: signedOut }),
    mutationCache: new MutationCache({ onError: signedOut }),
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        refetchOnWindowFocus: false,
        retry: (count, error) => !(isApiError(error) && error.status > 0 && error.status < 500) && count < 2,
      },
      mutations: { retry: false },
    },
  });
}
