const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const dtf = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "3 minutes ago", "yesterday", "just now". */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
  }
  return "just now";
}

/** "22 Nov 2026, 04:12 UTC" */
export function absoluteTime(iso: string): string {
  return `${dtf.format(new Date(iso))} UTC`;
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
