import { createBrowserRouter, redirect } from "react-router";
import { RouteErrorView, ShellErrorView } from "../components/errors/error-view";
import { Spinner } from "../components/ui/status";
import { meQueryOptions } from "../features/auth/api/get-me";
import { paths } from "../lib/paths";
import { setUnauthenticatedHandler } from "../lib/query-client";
import { requireMe, signInPath } from "./auth";
import { queryClient } from "./query";
import * as appRoot from "./routes/app-root";
import * as connectionsList from "./routes/connections/list";

// The shell (app-root) and the connections list, where sign-in and "/" lead, are part of the entry:
// as lazy routes their chunks (13 small files with their shared code) were asked for only once the
// entry had run and matched the URL, a second round of requests before the first rows. Every other
// page stays a lazy chunk.
export const router = createBrowserRouter([
  { path: "/sign-in", lazy: () => import("./routes/sign-in"), ErrorBoundary: RouteErrorView, HydrateFallback: () => null },
  {
    path: "/",
    loader: appRoot.loader,
    Component: appRoot.Component,
    ErrorBoundary: RouteErrorView,
    HydrateFallback: () => <Spinner label="Loading the console…" />,
    children: [
      {
        index: true,
        loader: async ({ request }) => {
          const me = await requireMe(request);
          const first = me.memberships[0];
          return first ? redirect(paths.connections(first.org.slug)) : null;
        },
        lazy: () => import("./routes/no-org"),
      },
      {
        path: "orgs/:org",
        // Errors of the org's pages (an org the user is not a member of: 404) show inside the shell.
        ErrorBoundary: ShellErrorView,
        children: [
          { index: true, loader: ({ params }) => redirect(paths.connections(params.org ?? "")) },
          {
            path: "oidc-connections",
            loader: connectionsList.loader,
            shouldRevalidate: connectionsList.shouldRevalidate,
            Component: connectionsList.Component,
          },
          { path: "oidc-connections/new", lazy: () => import("./routes/connections/new") },
          { path: "oidc-connections/:id/edit", lazy: () => import("./routes/connections/edit") },
          {
            path: "oidc-connections/:id",
            lazy: () => import("./routes/connections/detail"),
            children: [
              { index: true, lazy: () => import("./routes/connections/overview") },
              { path: "activity", lazy: () => import("./routes/connections/activity") },
              { path: "test", lazy: () => import("./routes/connections/test") },
            ],
          },
          { path: "api-tokens", lazy: () => import("./routes/api-tokens") },
          { path: "audit-log", lazy: () => import("./routes/audit-log") },
          { path: "webhooks", lazy: () => import("./routes/webhooks") },
          { path: "policy", lazy: () => import("./routes/policy") },
        ],
      },
      { path: "*", lazy: () => import("./routes/not-found") },
    ],
  },
]);

// A request that answers 401 (session expired) sends the user to sign in, and back here afterwards.
// Only for a session that ends while in use: loaders redirect signed-out visits themselves.
setUnauthenticatedHandler(() => {
  const { location, navigation } = router.state;
  if (!queryClient.getQueryData(meQueryOptions().queryKey)) return;
  if (location.pathname === "/sign-in" || navigation.location?.pathname === "/sign-in") return;
  queryClient.removeQueries();
  void router.navigate(signInPath(location), { replace: true });
});
