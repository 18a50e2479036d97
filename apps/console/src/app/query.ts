import { createQueryClient } from "../lib/query-client";

/** The app's one QueryClient: components use it through the provider, route loaders directly. */
export const queryClient = createQueryClient();
