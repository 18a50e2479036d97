import { useId } from "react";
import { pluralise } from "../../../lib/format";

export interface UsageDay {
  date: string;
  exchanged: number;
  denied: number;
}

const WIDTH = 720;
const HEIGHT = 180;
const PAD = { top: 12, right: 8, bottom: 24, left: 36 };

/** A round top for the axis: 1, 2, 5 × 10^n at or above `max`. */
export function niceMax(max: number): number {
  if (max <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 5, 10].find((m) => m * p >= max) ?? 10) * p;
}

/** One sentence a screen reader (and the figure's caption) can say about the whole chart. */
export function usageSummary(days: UsageDay[]): string {
  const exchanged = days.reduce((n, d) => n + d.exchanged, 0);
  const denied = days.reduce((n, d) => n + d.denied, 0);
  const busiest = days.reduce<UsageDay | undefined>((b, d) => (!b || d.exchanged + d.denied > b.exchanged + b.denied ? d : b), undefined);
  const span = `${pluralise(days.length, "day")} (${days[0]?.date ?? ""} to ${days.at(-1)?.date ?? ""}, UTC)`;
  if (!busiest || exchanged + denied === 0) return `No token exchanges in the last ${span}.`;
  return `${pluralise(exchanged, "token exchange")} and ${pluralise(denied, "denial")} in the last ${span}; the busiest day was ${busiest.date} with ${busiest.exchanged} exchanged and ${busiest.denied} denied.`;
}

/**
 * Exchanges and denials per day as an SVG of our own (no chart library: a few hundred bytes instead
 * of tens of KB against the console's budget): role="img" with a title and a description, and the
 * numbers as a table for anyone who wants them.
 */
export function UsageChart({ days }: { days: UsageDay[] }) {
  const id = useId();
  const max = niceMax(Math.max(0, ...days.map((d) => Math.max(d.exchanged, d.denied))));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, days.length);
  const bar = Math.max(1, Math.min(12, (slot - 2) / 2));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const labelEvery = Math.ceil(days.length / 8);
  const summary = usageSummary(days);
  return (
    <figure className="usage-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-title ${id}-desc`} className="usage-svg">
        <title id={`${id}-title`}>Token exchanges and denials per day</title>
        <desc id={`${id}-desc`}>{summary}</desc>
        {[0, max / 2, max].map((v) => (
          <g key={v}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(v)} y2={y(v)} className="usage-grid" />
            <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end" className="usage-axis">
              {v}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          const x = PAD.left + i * slot + (slot - 2 * bar) / 2;
          return (
            <g key={d.date}>
              <rect x={x} y={y(d.exchanged)} width={bar} height={y(0) - y(d.exchanged)} className="usage-exchanged">
                <title>{`${d.date}: ${d.exchanged} exchanged`}</title>
              </rect>
              <rect x={x + bar} y={y(d.denied)} width={bar} height={y(0) - y(d.denied)} className="usage-denied">
                <title>{`${d.date}: ${d.denied} denied`}</title>
              </rect>
              {i % labelEvery === 0 && (
                <text x={x + bar} y={HEIGHT - 6} textAnchor="middle" className="usage-axis">
                  {d.date.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="usage-legend">
        <span>
          <span className="usage-key usage-exchanged" aria-hidden="true" /> Exchanged
        </span>
        <span>
          <span className="usage-key usage-denied" aria-hidden="true" /> Denied
        </span>
        <span className="muted">{summary}</span>
      </figcaption>
      <details>
        <summary>Show the numbers as a table</summary>
        <table className="table">
          <caption className="visually-hidden">Token exchanges and denials per day (UTC)</caption>
          <thead>
            <tr>
              <th scope="col">Date (UTC)</th>
              <th scope="col">Exchanged</th>
              <th scope="col">Denied</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.date}>
                <th scope="row">{d.date}</th>
                <td>{d.exchanged}</td>
                <td>{d.denied}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
