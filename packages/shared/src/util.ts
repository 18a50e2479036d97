/** Small helpers every package needs, written once. Pure, no I/O. */

/** A plain JSON object (not null, not an array): what a decoded JSON document or token payload must be. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The index of the first character of `s` at or after `from` that is one of `chars`, or `s.length`.
 * One native `indexOf` per character of `chars` (a handful): several times faster than a loop over
 * `s` in JavaScript, and the admin API's GET lints every pair of rulesets with it.
 */
export function indexOfAny(s: string, chars: string, from: number): number {
  let first = s.length;
  for (let k = 0; k < chars.length; k++) {
    const i = s.indexOf(chars.charAt(k), from);
    if (i >= 0 && i < first) first = i;
  }
  return first;
}

/** An ASCII digit (0-9), as GitHub's numeric IDs are written. */
export const isDigit = (c: string) => c >= "0" && c <= "9";
