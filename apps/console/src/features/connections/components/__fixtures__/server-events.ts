import { type AuditEvent, EventSchema } from "@oidc/shared";
import { z } from "zod";
import events from "./server-events.json";

/**
 * Events as the real server writes them, one per scenario (`token.exchanged`,
 * `token.denied/replay`, …): produced by apps/server/test/event-contract.test.ts, which fails when
 * this file is out of date (regenerate: UPDATE_FIXTURES=1 pnpm --filter @oidc/server exec vitest
 * run test/event-contract.test.ts).
 */
export const serverEvents: Record<string, AuditEvent> = z.record(z.string(), EventSchema).parse(events);

/** A copy of one scenario's event, with some details changed (values only: the shape stays the server's). */
export function serverEvent(scenario: string, details: Record<string, unknown> = {}): AuditEvent {
  const event = serverEvents[scenario];
  if (!event) throw new Error(`No server event for ${scenario} in the fixture`);
  const copy = structuredClone(event);
  return { ...copy, details: { ...copy.details, ...details } };
}
