import { useOutletContext } from "react-router";
import type { Connection } from "../../../features/connections/api/get-connection";
import { ConnectionOverview } from "../../../features/connections/components/connection-overview";
import { useOrg } from "../../org";

export function Component() {
  return <ConnectionOverview connection={useOutletContext<Connection>()} org={useOrg().slug} />;
}
