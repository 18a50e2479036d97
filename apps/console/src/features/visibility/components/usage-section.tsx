import { useState } from "react";
import { ErrorMessage } from "../../../components/errors/error-view";
import { Spinner } from "../../../components/ui/status";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { useUsage } from "../api/visibility";
import { UsageChart } from "./usage-chart";

const RANGES = [7, 30, 90] as const;

/** The connection's usage (SPEC §12): the chart, per-ruleset counts, and repositories new this week. */
export function UsageSection({ org, id }: { org: string; id: string }) {
  const [days, setDays] = useState<number>(30);
  const usage = useUsage(org, id, days);
  return (
    <section className="card stack" aria-labelledby="usage-heading">
      <div className="card-head">
        <h2 id="usage-heading" className="card-title">
          Usage
        </h2>
        <div className="field field-inline field-narrow">
          <label htmlFor="usage-days" className="field-label">
            Period
          </label>
          <select id="usage-days" className="input" value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {RANGES.map((d) => (
              <option key={d} value={d}>
                Last {d} days
              </option>
            ))}
          </select>
        </div>
      </div>
      {usage.isPending ? (
        <Spinner label="Loading usage…" />
      ) : usage.isError ? (
        <ErrorMessage error={usage.error} onRetry={() => usage.refetch()} />
      ) : (
        <>
          {usage.data.newRepositories.length > 0 && (
            <section className="alert alert-info" aria-labelledby="new-repos-heading">
              <p className="alert-title" id="new-repos-heading">
                New repositories this week
              </p>
              <ul className="plain-list">
                {usage.data.newRepositories.map((r) => (
                  <li key={r.repository}>
                    <span className="badge badge-new">New</span> <code className="code-inline">{r.repository}</code> got its first token{" "}
                    <time dateTime={r.firstUsedAt} title={absoluteTime(r.firstUsedAt)}>
                      {relativeTime(r.firstUsedAt)}
                    </time>
                  </li>
                ))}
              </ul>
            </section>
          )}
          <UsageChart days={usage.data.days} />
          <table className="table">
            <caption className="table-caption">Rulesets in the last {days} days</caption>
            <thead>
              <tr>
                <th scope="col">Ruleset</th>
                <th scope="col">Exchanges</th>
                <th scope="col">Audit matches</th>
                <th scope="col">Last used</th>
              </tr>
            </thead>
            <tbody>
              {usage.data.rulesets.map((r) => (
                <tr key={r.id}>
                  <th scope="row">{r.label}</th>
                  <td>{r.exchanged}</td>
                  <td>{r.auditMatches}</td>
                  <td>
                    {r.lastUsedAt ? (
                      <time dateTime={r.lastUsedAt} title={absoluteTime(r.lastUsedAt)}>
                        {relativeTime(r.lastUsedAt)}
                      </time>
                    ) : (
                      <span className="muted">Never</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
