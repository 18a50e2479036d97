import { useCallback } from "react";
import { type LoaderFunctionArgs, redirect, useNavigate } from "react-router";
import { Breadcrumbs } from "../../../components/layouts/breadcrumbs";
import { repositoriesQueryOptions } from "../../../features/connections/api/get-repositories";
import { CreateConnectionForm } from "../../../features/connections/components/create-connection-form";
import { policyQueryOptions, usePolicy } from "../../../features/policy/api/get-policy";
import { paths } from "../../../lib/paths";
import { requireOrg, useOrg } from "../../org";
import { queryClient } from "../../query";
import { usePageTitle } from "../../title";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const membership = await requireOrg(request, params.org);
  if (membership.role !== "owner") throw redirect(paths.connections(membership.org.slug));
  void queryClient.prefetchQuery(repositoriesQueryOptions(membership.org.slug));
  void queryClient.prefetchQuery(policyQueryOptions(membership.org.slug));
  return null;
}

export function Component() {
  const org = useOrg();
  const navigate = useNavigate();
  // The policy feature's query: the form checks the org's policy at the fields as you type.
  const policy = usePolicy(org.slug);
  usePageTitle("New OIDC connection");
  const list = paths.connections(org.slug);
  const onCreated = useCallback((id: string) => navigate(paths.createdConnection(org.slug, id), { replace: true }), [navigate, org.slug]);
  return (
    <div className="page">
      <Breadcrumbs items={[{ label: org.org.name }, { label: "OIDC connections", to: list }, { label: "New connection" }]} />
      <div className="page-head">
        <h1>New OIDC connection</h1>
      </div>
      <CreateConnectionForm
        org={{ ...org.org, slug: org.slug }}
        policy={policy.data}
        onCreated={onCreated}
        onCancel={() => navigate(list)}
      />
    </div>
  );
}
