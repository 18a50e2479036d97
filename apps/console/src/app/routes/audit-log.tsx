import type { LoaderFunctionArgs } from "react-router";
import { AuditLog } from "../../features/visibility/components/audit-log";
import { requireOrg, useOrg } from "../org";
import { usePageTitle } from "../title";

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireOrg(request, params.org);
  return null;
}

export function Component() {
  const org = useOrg();
  usePageTitle(`Audit log · ${org.org.name}`);
  return <AuditLog org={{ slug: org.slug, name: org.org.name }} />;
}
