import { useCallback } from "react";
import { type LoaderFunctionArgs, redirect, useNavigate, useParams } from "react-router";
import { ErrorMessage } from "../../../components/errors/error-view";
import { Breadcrumbs } from "../../../components/layouts/breadcrumbs";
import { CopyButton } from "../../../components/ui/copy-button";
import { Spinner } from "../../../components/ui/status";
import { connectionQueryOptions, useConnection } from "../../../features/connections/api/get-connection";
import { repositoriesQueryOptions } from "../../../features/connections/api/get-repositories";
import { ConnectionNotFound } from "../../../features/connections/components/connection-not-found";
import { EditConnectionForm } from "../../../features/connections/components/edit-connection-form";
import { policyQueryOptions, usePolicy } from "../../../features/policy/api/get-policy";
import { isApiError } from "../../../lib/api-client";
import { paths } from "../../../lib/paths";
import { requireOrg, useOrg } from "../../org";
import { queryClient } from "../../query";
import { usePageTitle } from "../../title";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const membership = await requireOrg(request, params.org);
  const detail = paths.connection(membership.org.slug, params.id ?? "");
  if (membership.role !== "owner") throw redirect(detail);
  void queryClient.prefetchQuery(repositoriesQueryOptions(membership.org.slug));
  void queryClient.prefetchQuery(policyQueryOptions(membership.org.slug));
  // The form starts from the latest saved version.
  await queryClient.fetchQuery({ ...connectionQueryOptions(membership.org.slug, params.id ?? ""), staleTime: 0 }).catch(() => null);
  return null;
}

export function Component() {
  const org = useOrg();
  const { id = "" } = useParams();
  const navigate = useNavigate();
  const query = useConnection(org.slug, id);
  // The policy feature's query: the form checks the org's policy at the fields as you type.
  const policy = usePolicy(org.slug);
  const detail = paths.connection(org.slug, id);
  const onDone = useCallback(() => navigate(detail), [navigate, detail]);
  usePageTitle(isApiError(query.error, 404) ? "Connection not found" : `Edit ${query.data?.name ?? "connection"}`);
  const crumbs = [
    { label: org.org.name },
    { label: "OIDC connections", to: paths.connections(org.slug) },
    { label: query.data?.name ?? "Connection", to: detail },
    { label: "Edit" },
  ];
  if (query.isError && isApiError(query.error, 404)) return <ConnectionNotFound org={org.slug} orgName={org.org.name} />;
  return (
    <div className="page">
      <Breadcrumbs items={crumbs} />
      <div className="page-head">
        <h1>Edit {query.data?.name ?? "connection"}</h1>
        {query.data && (
          <div className="copy-row">
            <span className="muted">Connection ID</span>
            <code className="code-inline" data-testid="connection-id">
              {query.data.id}
            </code>
            <CopyButton text={query.data.id} label="Copy connection ID" className="btn btn-ghost btn-sm" />
          </div>
        )}
      </div>
      {query.isPending ? (
        <Spinner label="Loading connection…" />
      ) : query.isError ? (
        <ErrorMessage error={query.error} onRetry={() => query.refetch()} />
      ) : (
        <EditConnectionForm
          key={query.data.id}
          org={{ ...org.org, slug: org.slug }}
          connection={query.data}
          policy={policy.data}
          onDone={onDone}
        />
      )}
    </div>
  );
}
