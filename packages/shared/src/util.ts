/** Small helpers every package needs, written once. Pure, no I/O. */

/** A plain JSON object (not null, not an array): what a decoded JSON document or token payload must be. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The index of the first character of `s` at or after `from` that is one of `chars`, or `s.length`. */
export function indexOfAny(s: string, chars: string, from: number): number {
  for (let i = from; i < s.length; i++) if (chars.includes(s.charAt(i))) return i;
  return s.length;
}

/** An ASCII digit (0-9), as GitHub's numeric IDs are written. */
export const isDigit = (c: string) => c >= "0" && c <= "9";
