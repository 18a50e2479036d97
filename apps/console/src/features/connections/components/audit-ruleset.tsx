import { absoluteTime, relativeTime } from "../../../lib/format";
import type { AuditSummary } from "../api/get-audit-summary";

type Entry = AuditSummary["rulesets"][number];

/** SPEC §11: "would have matched N tokens in the last 30 days, last …", with the repositories. */
export function AuditMatches({ entry, loading }: { entry: Entry | undefined; loading: boolean }) {
  if (loading) return <p className="muted">Counting the tokens this ruleset would have matched…</p>;
  if (!entry || entry.matches === 0)
    return <p className="muted">Would have matched no token in the last 30 days. Audit rulesets grant nothing; they only record.</p>;
  return (
    <div className="stack">
      <p>
        Would have matched <strong>{entry.matches}</strong> token{entry.matches === 1 ? "" : "s"} in the last 30 days
        {entry.lastMatchedAt && (
          <>
            , last{" "}
            <time dateTime={entry.lastMatchedAt} title={absoluteTime(entry.lastMatchedAt)}>
              {relativeTime(entry.lastMatchedAt)}
            </time>
          </>
        )}
        .
      </p>
      {entry.repositories.length > 0 && (
        <p className="muted">
          From{" "}
          {entry.repositories.map((r, i) => (
            <span key={r}>
              {i > 0 && ", "}
              <code className="code-inline">{r}</code>
            </span>
          ))}
        </p>
      )}
    </div>
  );
}
