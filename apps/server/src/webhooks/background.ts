import type { Deps } from "../http/context";
import { WebhookWorker } from "./worker";

/** Background work a serving process runs beside its requests; `stop()` before the database closes. */
export function startBackground(deps: Deps): { stop(): Promise<void> } {
  const webhooks = new WebhookWorker(deps.database.db, deps.env, deps.log).start();
  return { stop: () => webhooks.stop() };
}
