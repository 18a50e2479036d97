/** Small helpers every package needs, written once. Pure, no I/O. */

/** A plain JSON object (not null, not an array): what a decoded JSON document or token payload must be. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
