import { ORG_EVENT_TYPES } from "@oidc/shared";
import { Link, useSearchParams } from "react-router";
import { ErrorMessage } from "../../../components/errors/error-view";
import { Breadcrumbs } from "../../../components/layouts/breadcrumbs";
import { EmptyState, Spinner } from "../../../components/ui/status";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { paths } from "../../../lib/paths";
import { useConnections } from "../../connections/api/get-connections";
import { EVENT_TITLES, EventDetails, eventTitle } from "../../connections/components/event-details";
import { exportUrl, type OrgEventFilter, useOrgEvents } from "../api/visibility";

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const nextDay = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString();

/**
 * The URL's filters (what a shared link carries): type, outcome, connection, and a date range in
 * UTC days (`since`/`until` inclusive, sent to the API as instants, `until` as the next midnight).
 */
function useFilters() {
  const [params, setParams] = useSearchParams();
  const get = (k: string) => params.get(k) ?? "";
  const type = (ORG_EVENT_TYPES as readonly string[]).includes(get("type")) ? get("type") : "";
  const outcome = get("outcome") === "success" || get("outcome") === "failure" ? (get("outcome") as "success" | "failure") : undefined;
  const connectionId = UUID.test(get("connectionId")) ? get("connectionId") : "";
  const since = DATE.test(get("since")) ? get("since") : "";
  const until = DATE.test(get("until")) ? get("until") : "";
  const api: OrgEventFilter = {
    ...(type ? { type } : {}),
    ...(outcome ? { outcome } : {}),
    ...(connectionId ? { connectionId } : {}),
    ...(since ? { since: `${since}T00:00:00.000Z` } : {}),
    ...(until ? { until: nextDay(until) } : {}),
  };
  const set = (key: string, value: string) =>
    setParams(
      (prev) => {
        const p = new URLSearchParams(prev);
        if (value) p.set(key, value);
        else p.delete(key);
        return p;
      },
      { replace: true },
    );
  return {
    ui: { type, outcome: outcome ?? "", connectionId, since, until },
    api,
    set,
    any: params.size > 0,
    clear: () => setParams({}, { replace: true }),
  };
}

/** The organisation's audit log (SPEC §12): filters kept in the URL, every event rendered by type, export. */
export function AuditLog({ org }: { org: { slug: string; name: string } }) {
  const filters = useFilters();
  const connections = useConnections(org.slug, {});
  const names = new Map((connections.data?.pages.flatMap((p) => p.items) ?? []).map((c) => [c.id, c.name]));
  const events = useOrgEvents(org.slug, filters.api);
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div className="page">
      <Breadcrumbs items={[{ label: org.name }, { label: "Audit log" }]} />
      <div className="page-head">
        <div>
          <h1>Audit log</h1>
          <p className="muted">
            Everything that happened in this organisation: every connection's changes and token requests (deleted connections included), API
            tokens, webhooks and policy. The filters are in the address: share the link.
          </p>
        </div>
        <div className="secret-box">
          <a className="btn btn-secondary" href={exportUrl(org.slug, filters.api, "csv")} download>
            Export CSV
          </a>
          <a className="btn btn-secondary" href={exportUrl(org.slug, filters.api, "ndjson")} download>
            Export NDJSON
          </a>
        </div>
      </div>
      <search className="filters card" aria-label="Filter the audit log">
        <div className="field">
          <label htmlFor="f-type" className="field-label">
            Event type
          </label>
          <select id="f-type" className="input" value={filters.ui.type} onChange={(e) => filters.set("type", e.target.value)}>
            <option value="">All types</option>
            {ORG_EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {EVENT_TITLES[t]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-outcome" className="field-label">
            Outcome
          </label>
          <select id="f-outcome" className="input" value={filters.ui.outcome} onChange={(e) => filters.set("outcome", e.target.value)}>
            <option value="">Any outcome</option>
            <option value="success">Succeeded</option>
            <option value="failure">Refused or failed</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-connection" className="field-label">
            Connection
          </label>
          <select
            id="f-connection"
            className="input"
            value={filters.ui.connectionId}
            onChange={(e) => filters.set("connectionId", e.target.value)}
          >
            <option value="">All connections and the organisation</option>
            {filters.ui.connectionId && !names.has(filters.ui.connectionId) && (
              <option value={filters.ui.connectionId}>Deleted connection {filters.ui.connectionId.slice(0, 8)}</option>
            )}
            {[...names].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-since" className="field-label">
            From (UTC)
          </label>
          <input
            id="f-since"
            type="date"
            className="input"
            value={filters.ui.since}
            onChange={(e) => filters.set("since", e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="f-until" className="field-label">
            To (UTC, inclusive)
          </label>
          <input
            id="f-until"
            type="date"
            className="input"
            value={filters.ui.until}
            onChange={(e) => filters.set("until", e.target.value)}
          />
        </div>
        {filters.any && (
          <button type="button" className="btn btn-secondary" onClick={filters.clear}>
            Clear filters
          </button>
        )}
      </search>
      {events.isPending ? (
        <Spinner label="Loading the audit log…" />
      ) : events.isError ? (
        <ErrorMessage error={events.error} onRetry={() => events.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title={filters.any ? "Nothing matches these filters" : "No activity yet"}>
          <p>{filters.any ? "Change or clear the filters to see more." : "Changes, token requests and API token events will show here."}</p>
        </EmptyState>
      ) : (
        <div className="stack">
          <ol className="timeline" aria-label="Audit log">
            {items.map((e) => (
              <li key={e.id} className={`event event-${e.outcome}`}>
                <div className="event-head">
                  <span className={`event-dot ${e.outcome === "failure" ? "dot-failure" : ""}`} aria-hidden="true" />
                  <h2 className="event-title">{eventTitle(e.type)}</h2>
                  <span className="muted">
                    {e.connectionId &&
                      (names.has(e.connectionId) ? (
                        <>
                          <Link to={paths.connection(org.slug, e.connectionId)}>{names.get(e.connectionId)}</Link> ·{" "}
                        </>
                      ) : (
                        <>deleted connection {e.connectionId.slice(0, 8)} · </>
                      ))}
                    by {e.actor.type === "workflow" ? "workflow " : e.actor.type === "api_token" ? "API token " : ""}
                    <strong>{e.actor.name}</strong> ·{" "}
                    <time dateTime={e.createdAt} title={absoluteTime(e.createdAt)}>
                      {relativeTime(e.createdAt)}
                    </time>
                  </span>
                </div>
                <EventDetails event={e} />
              </li>
            ))}
          </ol>
          {events.hasNextPage && (
            <button type="button" className="btn btn-secondary" onClick={() => events.fetchNextPage()} disabled={events.isFetchingNextPage}>
              {events.isFetchingNextPage ? "Loading…" : "Show older events"}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
