import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { indexOfAny } from "../src/util";

/** The definition, one character at a time. */
function reference(s: string, chars: string, from: number): number {
  for (let i = Math.max(0, from); i < s.length; i++) if (chars.includes(s.charAt(i))) return i;
  return s.length;
}

describe("indexOfAny", () => {
  it("finds the first of several characters at or after `from`", () => {
    expect(indexOfAny("repo:octo-org/api:ref:*", "/@:*?", 5)).toBe(13);
    expect(indexOfAny("repo:octo-org/api:ref:*", "*?", 0)).toBe(22);
    expect(indexOfAny("abc", "xyz", 0)).toBe(3);
    expect(indexOfAny("abc", "", 0)).toBe(3);
    expect(indexOfAny("a*c", "*", 2)).toBe(3);
    expect(indexOfAny("", "*", 0)).toBe(0);
  });

  it("agrees with the one-character-at-a-time definition", () => {
    const text = fc.string({ unit: fc.constantFrom("a", "b", "/", "@", ":", "*", "?", "é", "😀"), maxLength: 40 });
    fc.assert(
      fc.property(text, fc.string({ unit: fc.constantFrom("/", "@", ":", "*", "?", "a"), maxLength: 5 }), fc.nat(45), (s, chars, from) => {
        expect(indexOfAny(s, chars, from)).toBe(reference(s, chars, from));
      }),
      { numRuns: 2000 },
    );
  });
});
