// English by hand, not Intl: a page's first Intl formatter loads ICU's locale data, 10–30 ms of
// main thread in headless Chromium on the project's machine, and the connections list formats two
// dates per row before its first rows can appear. The output is what Intl.RelativeTimeFormat("en",
// { numeric: "auto" }) and Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short",
// timeZone: "UTC" }) write (CLDR 48); format.test.ts compares the two on random instants.

type Unit = "year" | "month" | "week" | "day" | "hour" | "minute";

const UNITS: [Unit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** What `numeric: "auto"` says for -1 and +1 of a unit ("1 hour ago" and "in 1 minute" stay numeric). */
const ADJACENT: Partial<Record<Unit, [past: string, future: string]>> = {
  year: ["last year", "next year"],
  month: ["last month", "next month"],
  week: ["last week", "next week"],
  day: ["yesterday", "tomorrow"],
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"];

const grouped = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
const twoDigits = (n: number) => String(n).padStart(2, "0");

/** "in 3 days", "2 hours ago", "yesterday": `value` whole units from now (never 0). */
export function formatRelative(value: number, unit: Unit): string {
  const adjacent = ADJACENT[unit];
  if (adjacent && (value === 1 || value === -1)) return value < 0 ? adjacent[0] : adjacent[1];
  const amount = Math.abs(value);
  const label = `${grouped(amount)} ${unit}${amount === 1 ? "" : "s"}`;
  return value < 0 ? `${label} ago` : `in ${label}`;
}

/** "3 minutes ago", "yesterday", "just now". */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return formatRelative(Math.round(seconds / size), unit);
  }
  return "just now";
}

/** "22 Nov 2026, 04:12 UTC" */
export function absoluteTime(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) throw new RangeError(`Invalid time value: ${iso}`);
  return `${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()}, ${twoDigits(at.getUTCHours())}:${twoDigits(at.getUTCMinutes())} UTC`;
}

export function pluralise(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** SPEC §11: "expires in 3 days" or "expired" (at `now`). */
export function expiryText(expiresAt: string, now: number = Date.now()): string {
  return new Date(expiresAt).getTime() <= now ? "expired" : `expires ${relativeTime(expiresAt, now)}`;
}

/** An ISO instant as the value of an `<input type="datetime-local">` in UTC ("2026-11-25T12:00"). */
export const toLocalInput = (iso: string) => new Date(iso).toISOString().slice(0, 16);
/** The input's value (read as UTC, as shown) back to ISO 8601, or null when empty or unreadable. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const at = Date.parse(`${value}:00Z`);
  return Number.isNaN(at) ? null : new Date(at).toISOString();
}
