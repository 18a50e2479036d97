import { EmptyState } from "../../components/ui/status";
import { usePageTitle } from "../title";

export function Component() {
  usePageTitle("No organisation");
  return (
    <div className="page">
      <EmptyState title="You are not a member of any organisation">
        <p>Ask an owner of your organisation to add you.</p>
      </EmptyState>
    </div>
  );
}
