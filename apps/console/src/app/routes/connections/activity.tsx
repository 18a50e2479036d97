import { useOutletContext } from "react-router";
import type { Connection } from "../../../features/connections/api/get-connection";
import { ActivityList } from "../../../features/connections/components/activity-list";
import { useOrg } from "../../org";

export function Component() {
  const connection = useOutletContext<Connection>();
  const org = useOrg();
  return (
    <section aria-labelledby="activity-heading" className="stack">
      <h2 id="activity-heading">Activity</h2>
      <ActivityList org={org.slug} id={connection.id} />
    </section>
  );
}
