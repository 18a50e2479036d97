import type { SimulateInput } from "@oidc/shared";
import { useMutation } from "@tanstack/react-query";
import { api, unwrap } from "../../../lib/api-client";

export const simulateConnection = (org: string, id: string, body: SimulateInput) =>
  unwrap(api.orgs[":org"]["oidc-connections"][":id"].simulate.$post({ param: { org, id }, json: body }));

export type Simulation = Awaited<ReturnType<typeof simulateConnection>>;

export const useSimulateConnection = (org: string, id: string) =>
  useMutation({ mutationFn: (body: SimulateInput) => simulateConnection(org, id, body) });
