/**
 * Subject and claim patterns (SPEC §4.1): `*` matches any run of characters (also empty, also `/`
 * and `:`), `?` exactly one Unicode code point, everything else itself. Anchored, case-sensitive,
 * no escapes.
 *
 * Two pointers with one remembered star: when a literal fails after a `*`, the star takes one more
 * code point and matching resumes behind it. Only the last star needs remembering (a later star can
 * absorb whatever an earlier one would), so the worst case is O(|pattern| × |value|) and there is
 * no exponential backtracking. Every position we stop at is a code-point boundary.
 */
/** The two wildcard characters of a pattern. */
export const PATTERN_WILDCARDS = "*?";

const STAR = 42; // '*'
const QUESTION = 63; // '?'

/** UTF-16 units taken by the code point that starts at `i`. */
function width(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

export function matchPattern(pattern: string, value: string): boolean {
  const pl = pattern.length;
  const vl = value.length;
  let p = 0;
  let v = 0;
  let starP = -1;
  let starV = 0;
  while (v < vl) {
    if (p < pl) {
      const pc = pattern.charCodeAt(p);
      if (pc === STAR) {
        starP = p++;
        starV = v;
        continue;
      }
      if (pc === QUESTION) {
        p++;
        v += width(value, v);
        continue;
      }
      if (pc === value.charCodeAt(v)) {
        p++;
        v++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP + 1;
    starV += width(value, starV);
    v = starV;
  }
  while (p < pl && pattern.charCodeAt(p) === STAR) p++;
  return p === pl;
}
