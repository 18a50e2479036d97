import type { LoaderFunctionArgs } from "react-router";
import { webhookQueryOptions } from "../../features/visibility/api/visibility";
import { WebhookSettings } from "../../features/visibility/components/webhook-settings";
import { requireOrg, useOrg } from "../org";
import { queryClient } from "../query";
import { usePageTitle } from "../title";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const membership = await requireOrg(request, params.org);
  void queryClient.prefetchQuery(webhookQueryOptions(membership.org.slug));
  return null;
}

export function Component() {
  const org = useOrg();
  usePageTitle(`Webhooks · ${org.org.name}`);
  return <WebhookSettings org={{ slug: org.slug, name: org.org.name, canManage: org.canManage }} />;
}
