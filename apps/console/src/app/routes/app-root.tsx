import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { type LoaderFunctionArgs, Outlet, useLocation, useNavigate, useNavigation, useParams } from "react-router";
import { AppLayout } from "../../components/layouts/app-layout";
import { useToast } from "../../components/ui/toast";
import { meQueryOptions } from "../../features/auth/api/get-me";
import { useLogout } from "../../features/auth/api/logout";
import { paths } from "../../lib/paths";
import { requireMe } from "../auth";

export async function loader({ request }: LoaderFunctionArgs) {
  await requireMe(request);
  return null;
}

/** Tabs of one connection count as the same page: focus stays on the tab. */
const pageOf = (pathname: string) => pathname.replace(/^(\/orgs\/[^/]+\/oidc-connections\/[0-9a-f-]{36})\/(activity|test)$/, "$1");

/** After in-app navigation to another page, move focus to its heading so that screen readers announce it. */
function useRouteFocus() {
  const { pathname } = useLocation();
  const previous = useRef(pageOf(pathname));
  useEffect(() => {
    const page = pageOf(pathname);
    if (page === previous.current) return;
    previous.current = page;
    const frame = requestAnimationFrame(() => {
      const main = document.getElementById("main");
      const heading = main?.querySelector<HTMLElement>("h1");
      if (heading) {
        heading.tabIndex = -1;
        heading.focus({ preventScroll: true });
      } else main?.focus({ preventScroll: true });
    });
    return () => cancelAnimationFrame(frame);
  }, [pathname]);
}

export function Component() {
  useRouteFocus();
  const me = useQuery(meQueryOptions());
  const { org } = useParams();
  const navigate = useNavigate();
  const navigation = useNavigation();
  const logout = useLogout();
  const toast = useToast();
  if (!me.data) return null;
  return (
    <AppLayout
      userLabel={me.data.user.email}
      orgs={me.data.memberships.map((m) => ({ slug: m.org.slug, name: m.org.name }))}
      currentOrg={me.data.memberships.some((m) => m.org.slug === org) ? org : undefined}
      onSwitchOrg={(slug) => navigate(paths.connections(slug))}
      signingOut={logout.isPending}
      onSignOut={() =>
        logout.mutate(undefined, {
          onSettled: () => {
            toast.show("Signed out", "info");
            navigate("/sign-in", { replace: true });
          },
        })
      }
    >
      {navigation.state === "loading" && <div className="route-progress" aria-hidden="true" />}
      <Outlet />
    </AppLayout>
  );
}
