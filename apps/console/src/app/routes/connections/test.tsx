import { useOutletContext } from "react-router";
import type { Connection } from "../../../features/connections/api/get-connection";
import { TestPanel } from "../../../features/connections/components/test-panel";
import { useOrg } from "../../org";

export function Component() {
  const connection = useOutletContext<Connection>();
  const org = useOrg();
  return <TestPanel org={org.slug} owner={org.org} canManage={org.canManage} connection={connection} />;
}
