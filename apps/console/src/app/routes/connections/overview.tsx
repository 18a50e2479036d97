import { useOutletContext } from "react-router";
import type { Connection } from "../../../features/connections/api/get-connection";
import { ConnectionOverview } from "../../../features/connections/components/connection-overview";
import { useOrg } from "../../org";

export function Component() {
  const org = useOrg();
  return <ConnectionOverview connection={useOutletContext<Connection>()} org={org.slug} owner={org.org} canManage={org.canManage} />;
}
