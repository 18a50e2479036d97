import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { absoluteTime, formatRelative, relativeTime } from "./format";

// format.ts writes English by hand (no Intl on the list's critical path); these pin it to what Intl writes.
const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const dtf = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
const UNITS = ["year", "month", "week", "day", "hour", "minute"] as const;
// 1970–9999: the instants a connection, token or event can carry.
const instant = fc.integer({ min: 0, max: Date.UTC(9999, 11, 31, 23, 59) });

describe("format", () => {
  it("formatRelative writes what Intl.RelativeTimeFormat('en', { numeric: 'auto' }) writes", () => {
    for (const unit of UNITS)
      for (const value of [-1001, -12, -2, -1, 1, 2, 12, 1001, 123_456]) expect(formatRelative(value, unit)).toBe(rtf.format(value, unit));
    fc.assert(
      fc.property(
        fc.constantFrom(...UNITS),
        fc.integer({ min: -5000, max: 5000 }).filter((n) => n !== 0),
        (unit, value) => formatRelative(value, unit) === rtf.format(value, unit),
      ),
    );
  });

  it("relativeTime picks the largest unit that fits, and says 'just now' under a minute", () => {
    const now = Date.UTC(2026, 10, 22, 12);
    expect(relativeTime(new Date(now - 30_000).toISOString(), now)).toBe("just now");
    expect(relativeTime(new Date(now - 125_000).toISOString(), now)).toBe("2 minutes ago");
    expect(relativeTime(new Date(now - 26 * 3600_000).toISOString(), now)).toBe("yesterday");
    expect(relativeTime(new Date(now + 3 * 7 * 86400_000).toISOString(), now)).toBe("in 3 weeks");
    expect(relativeTime("not a date", now)).toBe("just now");
  });

  it("absoluteTime writes what Intl.DateTimeFormat('en-GB', medium date, short time, UTC) writes", () => {
    expect(absoluteTime("2026-11-22T04:12:59.999Z")).toBe("22 Nov 2026, 04:12 UTC");
    expect(absoluteTime("2026-09-05T23:07:00Z")).toBe("5 Sept 2026, 23:07 UTC");
    fc.assert(fc.property(instant, (at) => absoluteTime(new Date(at).toISOString()) === `${dtf.format(at)} UTC`));
    expect(() => absoluteTime("not a date")).toThrow(RangeError);
  });
});
