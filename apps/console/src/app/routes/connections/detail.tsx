import { type LoaderFunctionArgs, NavLink, Outlet, useNavigate, useParams, useSearchParams } from "react-router";
import { ErrorMessage } from "../../../components/errors/error-view";
import { Breadcrumbs } from "../../../components/layouts/breadcrumbs";
import { Alert, Spinner } from "../../../components/ui/status";
import { connectionQueryOptions, useConnection } from "../../../features/connections/api/get-connection";
import { ConnectionHeader } from "../../../features/connections/components/connection-header";
import { ConnectionNotFound } from "../../../features/connections/components/connection-not-found";
import { isApiError } from "../../../lib/api-client";
import { paths } from "../../../lib/paths";
import { requireOrg, useOrg } from "../../org";
import { queryClient } from "../../query";
import { usePageTitle } from "../../title";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const membership = await requireOrg(request, params.org);
  void queryClient.prefetchQuery(connectionQueryOptions(membership.org.slug, params.id ?? ""));
  return null;
}

export function Component() {
  const org = useOrg();
  const { id = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const query = useConnection(org.slug, id);
  const list = paths.connections(org.slug);
  usePageTitle(query.data?.name ?? (isApiError(query.error, 404) ? "Connection not found" : "OIDC connection"));
  const crumbs = [{ label: org.org.name }, { label: "OIDC connections", to: list }, { label: query.data?.name ?? "Connection" }];
  if (query.isPending)
    return (
      <div className="page">
        <Breadcrumbs items={crumbs} />
        <Spinner label="Loading connection…" />
      </div>
    );
  if (query.isError && isApiError(query.error, 404)) return <ConnectionNotFound org={org.slug} orgName={org.org.name} />;
  if (query.isError)
    return (
      <div className="page">
        <Breadcrumbs items={crumbs} />
        <ErrorMessage error={query.error} onRetry={() => query.refetch()} />
      </div>
    );
  const c = query.data;
  const created = params.get("created") === "1";
  return (
    <div className="page">
      <Breadcrumbs items={crumbs} />
      <ConnectionHeader org={org.slug} connection={c} canManage={org.canManage} onDeleted={() => navigate(list, { replace: true })} />
      {created && (
        <Alert tone="success" title="Connection created">
          <p>Copy the connection ID below into your workflow. Workflows matching its rulesets can now get access tokens.</p>
          <button
            type="button"
            className="btn btn-ghost btn-sm"
            onClick={() =>
              setParams(
                (p) => {
                  p.delete("created");
                  return p;
                },
                { replace: true },
              )
            }
          >
            Dismiss
          </button>
        </Alert>
      )}
      {c.status === "inactive" && (
        <Alert tone="warning" title="This connection is inactive">
          <p>
            Token exchanges are refused and the access tokens it issued were revoked.
            {org.canManage ? " Activate it to allow exchanges again." : ""}
          </p>
        </Alert>
      )}
      <nav className="tabs" aria-label="Connection sections">
        <NavLink end to={paths.connection(org.slug, c.id)} className="tab">
          Overview
        </NavLink>
        <NavLink to={paths.connectionActivity(org.slug, c.id)} className="tab">
          Activity
        </NavLink>
        <NavLink to={paths.connectionTest(org.slug, c.id)} className="tab">
          Test
        </NavLink>
      </nav>
      <Outlet context={c} />
    </div>
  );
}
