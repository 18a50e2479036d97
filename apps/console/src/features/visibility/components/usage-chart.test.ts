import { describe, expect, it } from "vitest";
import { niceMax, usageSummary } from "./usage-chart";

describe("usage chart", () => {
  it("rounds the axis up to 1, 2 or 5 × 10ⁿ", () => {
    expect([0, 3, 5, 11, 20, 21, 99, 101, 4999].map(niceMax)).toEqual([4, 4, 5, 20, 20, 50, 100, 200, 5000]);
  });

  it("says the totals and the busiest day in one sentence (the chart's text alternative)", () => {
    const days = [
      { date: "2026-11-20", exchanged: 0, denied: 0 },
      { date: "2026-11-21", exchanged: 5, denied: 2 },
      { date: "2026-11-22", exchanged: 1, denied: 0 },
    ];
    expect(usageSummary(days)).toBe(
      "6 token exchanges and 2 denials in the last 3 days (2026-11-20 to 2026-11-22, UTC); the busiest day was 2026-11-21 with 5 exchanged and 2 denied.",
    );
    expect(usageSummary(days.map((d) => ({ ...d, exchanged: 0, denied: 0 })))).toBe(
      "No token exchanges in the last 3 days (2026-11-20 to 2026-11-22, UTC).",
    );
  });
});
