import { useState } from "react";
import type { LoaderFunctionArgs } from "react-router";
import { Breadcrumbs } from "../../components/layouts/breadcrumbs";
import { apiTokensQueryOptions } from "../../features/api-tokens/api/get-api-tokens";
import { ApiTokensList } from "../../features/api-tokens/components/api-tokens-list";
import { CreateApiTokenDialog } from "../../features/api-tokens/components/create-api-token-dialog";
import { requireOrg, useOrg } from "../org";
import { queryClient } from "../query";
import { usePageTitle } from "../title";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const membership = await requireOrg(request, params.org);
  void queryClient.prefetchQuery(apiTokensQueryOptions(membership.org.slug));
  return null;
}

export function Component() {
  const org = useOrg();
  const [creating, setCreating] = useState(false);
  usePageTitle(`API tokens · ${org.org.name}`);
  return (
    <div className="page">
      <Breadcrumbs items={[{ label: org.org.name }, { label: "Security and access" }, { label: "API tokens" }]} />
      <div className="page-head">
        <div>
          <h1>API tokens</h1>
          <p className="muted">
            Let scripts and CI manage this organisation's connections over the API (<a href="/api/docs">API reference</a>). A token works
            only for this organisation; its role caps what it may do.
          </p>
        </div>
        {org.canManage && (
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            Create token
          </button>
        )}
      </div>
      <ApiTokensList org={org.slug} canManage={org.canManage} />
      {org.canManage && <CreateApiTokenDialog org={org.slug} open={creating} onClose={() => setCreating(false)} />}
    </div>
  );
}
