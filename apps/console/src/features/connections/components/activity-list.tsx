import { EVENT_KINDS, type EventKind, isObject, workflowRunUrl } from "@oidc/shared";
import type { ReactNode } from "react";
import { useSearchParams } from "react-router";
import { ErrorMessage } from "../../../components/errors/error-view";
import { EmptyState, Spinner } from "../../../components/ui/status";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { type ConnectionEvent, useConnectionEvents } from "../api/get-connection-events";
import { asDiagnosis, ClosestMiss } from "./closest-miss";

export const TITLES: Record<string, string> = {
  "connection.created": "Connection created",
  "connection.updated": "Connection updated",
  "connection.deactivated": "Connection deactivated",
  "connection.activated": "Connection activated",
  "connection.deleted": "Connection deleted",
  "token.exchanged": "Token exchanged",
  "token.denied": "Token exchange denied",
  "registry.token": "Registry token issued",
  "token.first_use": "First token for a repository",
  "api_token.created": "API token created",
  "api_token.deleted": "API token revoked",
  "policy.updated": "Organisation policy changed",
  "webhook.created": "Webhook created",
  "webhook.updated": "Webhook changed",
  "webhook.secret_rotated": "Webhook secret rotated",
  "webhook.deleted": "Webhook removed",
};

const REASONS: Record<string, string> = {
  no_matching_ruleset: "No ruleset matches the token",
  no_match: "No ruleset matches the token",
  connection_inactive: "The connection is inactive",
  token_replayed: "The token was already used",
  replayed: "The token was already used",
  expired: "The token has expired",
  bad_signature: "The token's signature is not valid",
  audience_mismatch: "The token's audience is not this service",
  issuer_not_trusted: "The token's issuer is not trusted for this connection",
};

const str = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : undefined);
const pick = (d: Record<string, unknown>, ...keys: string[]) => {
  for (const k of keys) if (d[k] !== undefined && d[k] !== null) return d[k];
  return undefined;
};

function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined || value === "") return <span className="muted">none</span>;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
    return <code className="code-inline">{String(value)}</code>;
  if (Array.isArray(value) && value.every((v) => typeof v === "string"))
    return <>{value.length ? value.join(", ") : <span className="muted">none</span>}</>;
  return <code className="code-inline code-wrap">{JSON.stringify(value)}</code>;
}

function Facts({ rows }: { rows: [string, ReactNode][] }) {
  if (!rows.length) return null;
  return (
    <dl className="dl dl-compact">
      {rows.map(([k, v]) => (
        <div key={k} className="dl-row">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

const KEY_LABELS: Record<string, string> = {
  requestId: "Request ID",
  tokenId: "Token ID",
  jobWorkflowRef: "Job workflow",
  sha: "Commit",
  verified: "Token verified",
  error: "Error code",
  version: "Version",
};

/** Keys not rendered specifically are shown as they are (with a friendlier label when we know one). */
function rest(d: Record<string, unknown>, used: string[]): [string, ReactNode][] {
  return Object.entries(d)
    .filter(([k]) => !used.includes(k))
    .map(([k, v]) => [KEY_LABELS[k] ?? k, <Value key={k} value={typeof v === "boolean" ? (v ? "yes" : "no") : v} />]);
}

/** The run's ID, linked to the run on GitHub when the event holds what the URL needs. */
function runCell(job: Record<string, unknown>, linkable: boolean): ReactNode {
  const runId = pick(job, "runId", "run_id");
  if (runId === undefined) return undefined;
  const attempt = str(job.runAttempt);
  const text = `${String(runId)}${attempt && attempt !== "1" ? ` (attempt ${attempt})` : ""}`;
  const url = linkable
    ? workflowRunUrl({ serverUrl: job.serverUrl, repository: job.repository, runId: str(runId), runAttempt: attempt })
    : null;
  if (!url) return <Value value={text} />;
  return (
    <a href={url} target="_blank" rel="noopener noreferrer" aria-label={`Workflow run ${text} on GitHub (opens in a new tab)`}>
      {text}
    </a>
  );
}

function accessList(v: unknown): ReactNode {
  if (!Array.isArray(v)) return <Value value={v} />;
  return (
    <ul className="plain-list">
      {v.map((g, i) => {
        const grant = isObject(g) ? g : {};
        const name = str(pick(grant, "resource", "name", "repository")) ?? JSON.stringify(g);
        const scopes = pick(grant, "scopes", "actions");
        return (
          <li key={i}>
            <code className="code-inline">{name}</code>
            {Array.isArray(scopes) ? `: ${scopes.join(", ")}` : ""}
          </li>
        );
      })}
    </ul>
  );
}

function UpdatedDetails({ d }: { d: Record<string, unknown> }) {
  const changes = isObject(d.changes) ? d.changes : {};
  const rows: [string, ReactNode][] = [];
  for (const [key, change] of Object.entries(changes)) {
    if (key === "rulesets" && isObject(change)) {
      const added = Array.isArray(change.added) ? change.added.map(String) : [];
      const removed = Array.isArray(change.removed) ? change.removed.map(String) : [];
      const changed = Array.isArray(change.changed) ? change.changed.filter(isObject) : [];
      if (added.length) rows.push(["Rulesets added", added.join(", ")]);
      if (removed.length) rows.push(["Rulesets removed", removed.join(", ")]);
      for (const c of changed) {
        const before = isObject(c.before) ? c.before : {};
        const after = isObject(c.after) ? c.after : {};
        rows.push([
          `Ruleset “${str(c.label) ?? "?"}” changed`,
          <ul key="c" className="plain-list">
            {Object.keys(after).map((field) => (
              <li key={field}>
                {field}: <Value value={before[field]} /> → <Value value={after[field]} />
              </li>
            ))}
          </ul>,
        ]);
      }
      if (change.reordered === true) rows.push(["Rulesets", "reordered"]);
    } else if (isObject(change) && ("before" in change || "after" in change)) {
      const label = key === "maxTokenTtlSeconds" ? "Maximum token lifetime" : key.charAt(0).toUpperCase() + key.slice(1);
      rows.push([
        label,
        <span key={key}>
          <Value value={change.before} /> → <Value value={change.after} />
        </span>,
      ]);
    } else {
      rows.push([key, <Value key={key} value={change} />]);
    }
  }
  return <Facts rows={[...rows, ...rest(d, ["changes", "version"])]} />;
}

function ExchangedDetails({ d }: { d: Record<string, unknown> }) {
  const used = [
    "repository",
    "ref",
    "workflow",
    "workflowRef",
    "workflow_ref",
    "runId",
    "run_id",
    "runAttempt",
    "serverUrl",
    "matched",
    "rulesets",
    "access",
    "granted",
    "sha",
    "subject",
    "sub",
    "jti",
    "expiresIn",
    "expires_in",
  ];
  const rows: [string, ReactNode][] = [];
  const add = (label: string, v: unknown, node?: ReactNode) => {
    if (v !== undefined && v !== null) rows.push([label, node ?? <Value value={v} />]);
  };
  add("Repository", pick(d, "repository"));
  add("Ref", pick(d, "ref"));
  add("Workflow", pick(d, "workflow"));
  add("Run", pick(d, "runId", "run_id"), runCell(d, true));
  add("Subject", pick(d, "subject", "sub"));
  add("Matched rulesets", pick(d, "matched", "rulesets"));
  const access = pick(d, "access", "granted");
  add("Granted access", access, accessList(access));
  const ttl = pick(d, "expiresIn", "expires_in");
  add("Token lifetime", ttl, <span>{String(ttl)} seconds</span>);
  return <Facts rows={[...rows, ...rest(d, used)]} />;
}

/** A registry login, pull or push (SPEC §9): what was asked, what was granted, by whom. */
function RegistryTokenDetails({ d }: { d: Record<string, unknown> }) {
  const access = Array.isArray(d.access) ? d.access : [];
  const rows: [string, ReactNode][] = [
    ["Granted access", access.length ? accessList(access) : <span className="muted">none (a login, or nothing asked is granted)</span>],
    ["Requested", <Value key="s" value={typeof d.scope === "string" && d.scope ? d.scope.split(" ") : null} />],
    ["Registry", <Value key="r" value={d.service} />],
    ["Username", <Value key="u" value={d.username} />],
  ];
  if (d.repository !== undefined) rows.push(["Repository", <Value key="repo" value={d.repository} />]);
  if (d.ref !== undefined) rows.push(["Ref", <Value key="ref" value={d.ref} />]);
  return <Facts rows={[...rows, ...rest(d, ["access", "scope", "service", "username", "repository", "ref"])]} />;
}

function DeniedDetails({ d, reason }: { d: Record<string, unknown>; reason: string | null }) {
  const rows: [string, ReactNode][] = [];
  if (reason)
    rows.push([
      "Reason",
      <span key="r">
        {REASONS[reason] ?? reason} <code className="code-inline">{reason}</code>
      </span>,
    ]);
  const description = pick(d, "description", "error_description", "message");
  if (description !== undefined) rows.push(["Message", <Value key="m" value={description} />]);
  // The job that asked: from `job` (the token's claims) or from top-level keys.
  const job = isObject(d.job) ? d.job : d;
  const add = (label: string, v: unknown, node?: ReactNode) => {
    if (v !== undefined && v !== null) rows.push([label, node ?? <Value key={label} value={v} />]);
  };
  add("Subject", pick(job, "sub", "subject"));
  add("Repository", pick(job, "repository"));
  add("Ref", pick(job, "ref"));
  add("Workflow", pick(job, "workflow"));
  // Only a verified token's run is linked: an unverified one could name any repository.
  add("Run", pick(job, "runId", "run_id"), <span key="run">{runCell(job, d.verified === true)}</span>);
  const closest = asDiagnosis(d.closest ?? d.diagnosis);
  if (closest) rows.push(["Closest ruleset", <ClosestMiss key="c" diagnosis={closest} />]);
  const used = ["description", "error_description", "message", "subject", "sub", "closest", "diagnosis", "reason", "job"];
  if (job === d) used.push("repository", "ref", "workflow", "runId", "run_id", "runAttempt", "serverUrl");
  return <Facts rows={[...rows, ...rest(d, used)]} />;
}

/** What an event says, by type; also used by the organisation's Activity page. */
export function EventDetails({ event }: { event: Omit<ConnectionEvent, "details"> & { details: unknown } }) {
  const d: Record<string, unknown> = isObject(event.details) ? (event.details as Record<string, unknown>) : {};
  switch (event.type) {
    case "connection.updated":
      return <UpdatedDetails d={d} />;
    case "token.exchanged":
      return <ExchangedDetails d={d} />;
    case "token.denied":
      return <DeniedDetails d={d} reason={event.reason} />;
    case "registry.token":
      return <RegistryTokenDetails d={d} />;
    case "connection.created": {
      const rulesets = Array.isArray(d.rulesets) ? (d.rulesets as unknown[]).filter(isObject) : [];
      return (
        <Facts
          rows={[
            ...(rulesets.length ? ([["Rulesets", rulesets.map((r) => str(r.label)).join(", ")]] as [string, ReactNode][]) : []),
            ...rest(d, ["rulesets", "name", "version"]),
          ]}
        />
      );
    }
    default:
      return <Facts rows={rest(d, ["version"])} />;
  }
}

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
              <h3 className="event-title">{TITLES[e.type] ?? e.type}</h3>
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
