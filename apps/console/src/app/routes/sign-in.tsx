import { type LoaderFunctionArgs, redirect, useNavigate, useSearchParams } from "react-router";
import { getMe, meQueryOptions } from "../../features/auth/api/get-me";
import { SignInForm } from "../../features/auth/components/sign-in-form";
import { safeNext } from "../auth";
import { queryClient } from "../query";
import { usePageTitle } from "../title";

export async function loader({ request }: LoaderFunctionArgs) {
  // Already signed in: straight on.
  const me = await getMe().catch(() => null);
  if (me) {
    queryClient.setQueryData(meQueryOptions().queryKey, me);
    throw redirect(safeNext(new URL(request.url).searchParams.get("next")));
  }
  return null;
}

export function Component() {
  usePageTitle("Sign in");
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get("next"));
  return (
    <main className="signin" id="main">
      <div className="signin-card card">
        <p className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          Admin Console
        </p>
        <h1>Sign in</h1>
        <p className="muted">Manage your organisation's OIDC connections for GitHub Actions.</p>
        {next !== "/" && <p className="muted">Sign in to continue to the page you asked for.</p>}
        <SignInForm onSignedIn={() => navigate(next, { replace: true })} />
      </div>
    </main>
  );
}
