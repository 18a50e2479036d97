import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";

export const getMe = () => unwrap(api.me.$get());

export type Me = Awaited<ReturnType<typeof getMe>>;
export type Membership = Me["memberships"][number];

export const meQueryOptions = () => queryOptions({ queryKey: ["me"], queryFn: getMe, staleTime: 60_000, retry: false });
