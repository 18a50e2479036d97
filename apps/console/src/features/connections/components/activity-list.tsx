import { EVENT_KINDS, type EventKind } from "@oidc/shared";
import { useSearchParams } from "react-router";
import { ErrorMessage } from "../../../components/errors/error-view";
import { EmptyState, Spinner } from "../../../components/ui/status";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { useConnectionEvents } from "../api/get-connection-events";
import { EventDetails, eventTitle } from "./event-details";

const KIND_LABELS: Record<EventKind, string> = {
  exchanged: "Tokens exchanged",
  denied: "Exchanges denied",
  changes: "Changes to the connection",
};

/** Which events to show, kept in the URL (`?kind=`) so a reload or a shared link keeps it. */
function KindFilter({ kind, onChange }: { kind: EventKind | undefined; onChange: (kind: EventKind | undefined) => void }) {
  return (
    <search className="toolbar" aria-label="Filter activity">
      <div className="field field-inline field-narrow">
        <label htmlFor="activity-kind" className="field-label">
          Show
        </label>
        <select
          id="activity-kind"
          className="input"
          value={kind ?? ""}
          onChange={(e) =>
            onChange((EVENT_KINDS as readonly string[]).includes(e.target.value) ? (e.target.value as EventKind) : undefined)
          }
        >
          <option value="">All activity</option>
          {EVENT_KINDS.map((k) => (
            <option key={k} value={k}>
              {KIND_LABELS[k]}
            </option>
          ))}
        </select>
      </div>
    </search>
  );
}

/** The connection's audit events, newest first, filtered by kind, with "Show older" paging. */
export function ActivityList({ org, id }: { org: string; id: string }) {
  const [params, setParams] = useSearchParams();
  const raw = params.get("kind");
  const kind = (EVENT_KINDS as readonly (string | null)[]).includes(raw) ? (raw as EventKind) : undefined;
  const setKind = (next: EventKind | undefined) =>
    setParams(
      (prev) => {
        const p = new URLSearchParams(prev);
        if (next) p.set("kind", next);
        else p.delete("kind");
        return p;
      },
      { replace: true },
    );
  const query = useConnectionEvents(org, id, kind);
  const filter = <KindFilter kind={kind} onChange={setKind} />;
  if (query.isPending)
    return (
      <div className="stack">
        {filter}
        <Spinner label="Loading activity…" />
      </div>
    );
  if (query.isError) return <ErrorMessage error={query.error} onRetry={() => query.refetch()} />;
  const events = query.data.pages.flatMap((p) => p.items);
  if (!events.length)
    return (
      <div className="stack">
        {filter}
        {kind ? (
          <EmptyState title="Nothing of this kind yet">
            <p>No {KIND_LABELS[kind].toLowerCase()} so far. Choose “All activity” to see everything.</p>
          </EmptyState>
        ) : (
          <EmptyState title="No activity yet">
            <p>Changes to this connection, token exchanges and registry logins will show here.</p>
          </EmptyState>
        )}
      </div>
    );
  return (
    <div className="stack">
      {filter}
      <ol className="timeline" aria-label="Activity">
        {events.map((e) => (
          <li key={e.id} className={`event event-${e.outcome}`}>
            <div className="event-head">
              <span
                className={`event-dot ${e.outcome === "failure" ? "dot-failure" : e.type.startsWith("token") || e.type.startsWith("registry") ? "dot-token" : ""}`}
                aria-hidden="true"
              />
              <h3 className="event-title">{eventTitle(e.type)}</h3>
              <span className="muted">
                by {e.actor.type === "workflow" ? "workflow " : e.actor.type === "api_token" ? "API token " : ""}
                <strong>{e.actor.name}</strong> ·{" "}
                <time dateTime={e.createdAt} title={absoluteTime(e.createdAt)}>
                  {relativeTime(e.createdAt)}
                </time>
                {e.ip ? ` · ${e.ip}` : ""}
              </span>
            </div>
            <EventDetails event={e} />
          </li>
        ))}
      </ol>
      {query.hasNextPage && (
        <button type="button" className="btn btn-secondary" onClick={() => query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          {query.isFetchingNextPage ? "Loading…" : "Show older events"}
        </button>
      )}
    </div>
  );
}
