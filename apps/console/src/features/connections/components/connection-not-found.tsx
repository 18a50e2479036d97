import { NotFound } from "../../../components/errors/not-found";
import { paths } from "../../../lib/paths";

/** A connection that does not exist in this org (another org's, or deleted): the one not-found page. */
export function ConnectionNotFound({ org, orgName }: { org: string; orgName: string }) {
  return (
    <NotFound title="Connection not found" back={{ to: paths.connections(org), label: "Back to OIDC connections" }}>
      <p>There is no such OIDC connection in {orgName}: it may have been deleted, or the link is wrong.</p>
    </NotFound>
  );
}
