/**
 * Helpers for raw statements, in one place: their results on either driver, and the postgres.js
 * client's prepared array statements.
 */

import type { DatabaseHandle } from "./client";
import { requestScope } from "./deadline";

/** The rows of a raw `execute`: postgres.js answers an array, PGlite `{ rows }` (typed `T` by a caller that knows its statement's columns). */
export function rowsOf<T = Record<string, unknown>>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** The postgres.js client under drizzle, for the recorder's prepared array statement; none on PGlite. */
export function postgresArrays(database: DatabaseHandle): ((text: string, params: unknown[]) => Promise<unknown>) | undefined {
  const client = (
    database.db as unknown as { $client?: { unsafe?: (t: string, p: unknown[], o: { prepare: boolean }) => Promise<unknown> } }
  ).$client;
  if (database.kind !== "postgres" || typeof client?.unsafe !== "function") return undefined;
  // A batch serves many requests: it runs outside any one request's scope (SPEC §13 deadline).
  return (text, params) => requestScope.exit(() => client.unsafe?.(text, params, { prepare: true }) as Promise<unknown>);
}
