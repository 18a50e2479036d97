import { Link, type LoaderFunctionArgs, type ShouldRevalidateFunctionArgs } from "react-router";
import { Breadcrumbs } from "../../../components/layouts/breadcrumbs";
import { connectionsQueryOptions } from "../../../features/connections/api/get-connections";
import { ConnectionsList } from "../../../features/connections/components/connections-list";
import { paths } from "../../../lib/paths";
import { requireOrg, useOrg } from "../../org";
import { listFiltersOf } from "../../prefetch";
import { queryClient } from "../../query";
import { usePageTitle } from "../../title";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const membership = await requireOrg(request, params.org);
  // Prefetch, but render at once: the list shows its own loading state (on a first load, main.tsx
  // started this request already: prefetch.ts).
  void queryClient.prefetchInfiniteQuery(connectionsQueryOptions(membership.org.slug, listFiltersOf(new URL(request.url))));
  return null;
}

// Typing in the search box changes only the query string: the list refetches by itself, no loader needed.
export function shouldRevalidate({ currentUrl, nextUrl }: ShouldRevalidateFunctionArgs) {
  return currentUrl.pathname !== nextUrl.pathname;
}

export function Component() {
  const org = useOrg();
  usePageTitle(`OIDC connections · ${org.org.name}`);
  return (
    <div className="page">
      <Breadcrumbs items={[{ label: org.org.name }, { label: "Security and access" }, { label: "OIDC connections" }]} />
      <div className="page-head">
        <div>
          <h1>OIDC connections</h1>
          <p className="muted">Let GitHub Actions workflows exchange their OIDC ID token for a short-lived access token.</p>
        </div>
        {org.canManage && (
          <Link to={paths.newConnection(org.slug)} className="btn btn-primary">
            New connection
          </Link>
        )}
      </div>
      <ConnectionsList org={org.slug} canManage={org.canManage} />
    </div>
  );
}
