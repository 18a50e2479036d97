import type { LoaderFunctionArgs } from "react-router";
import { Breadcrumbs } from "../../components/layouts/breadcrumbs";
import { Spinner } from "../../components/ui/status";
import { policyQueryOptions, usePolicy } from "../../features/policy/api/get-policy";
import { PolicyForm } from "../../features/policy/components/policy-form";
import { requireOrg, useOrg } from "../org";
import { queryClient } from "../query";
import { usePageTitle } from "../title";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const membership = await requireOrg(request, params.org);
  void queryClient.prefetchQuery(policyQueryOptions(membership.org.slug));
  return null;
}

export function Component() {
  const org = useOrg();
  const policy = usePolicy(org.slug);
  usePageTitle(`Policy · ${org.org.name}`);
  return (
    <div className="page">
      <Breadcrumbs items={[{ label: org.org.name }, { label: "Security and access" }, { label: "Policy" }]} />
      <div className="page-head">
        <div>
          <h1>Policy</h1>
          <p className="muted">Guard rails for every OIDC connection of this organisation.</p>
        </div>
      </div>
      {policy.data ? (
        <PolicyForm org={org.slug} policy={policy.data} canManage={org.canManage} />
      ) : policy.error ? (
        <p className="field-error" role="alert">
          {policy.error.message}
        </p>
      ) : (
        <Spinner label="Loading the policy…" />
      )}
    </div>
  );
}
