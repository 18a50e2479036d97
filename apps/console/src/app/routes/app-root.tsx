import { useQuery } from "@tanstack/react-query";
import { type LoaderFunctionArgs, Outlet, useNavigate, useNavigation, useParams } from "react-router";
import { AppLayout } from "../../components/layouts/app-layout";
import { useToast } from "../../components/ui/toast";
import { meQueryOptions } from "../../features/auth/api/get-me";
import { useLogout } from "../../features/auth/api/logout";
import { requireMe } from "../auth";

export async function loader({ request }: LoaderFunctionArgs) {
  await requireMe(request);
  return null;
}

export function Component() {
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
      currentOrg={org}
      onSwitchOrg={(slug) => navigate(`/orgs/${slug}/oidc-connections`)}
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
