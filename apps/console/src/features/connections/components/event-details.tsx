import {
  type DenialReason,
  type EventBody,
  EventBodySchema,
  type EventDetails as EventDetailsOf,
  type EventJob,
  type EventType,
  type OrgPolicySettings,
  workflowRunUrl,
} from "@oidc/shared";
import type { ReactNode } from "react";
import { ClosestMiss } from "./closest-miss";

/**
 * How the console shows an event of the shared contract (`EventBodySchema`): a title per type and
 * the details by type, through one exhaustive switch — an event type added to the contract fails
 * the type check here until it is rendered. Used by a connection's Activity, the organisation's
 * audit log and the webhook settings.
 */
export const EVENT_TITLES: Record<EventType, string> = {
  "connection.created": "Connection created",
  "connection.updated": "Connection updated",
  "connection.deactivated": "Connection deactivated",
  "connection.activated": "Connection activated",
  "connection.deleted": "Connection deleted",
  "token.exchanged": "Token exchanged",
  "token.denied": "Token exchange denied",
  "token.first_use": "First token for a repository",
  "registry.token": "Registry token issued",
  "policy.updated": "Organisation policy changed",
  "api_token.created": "API token created",
  "api_token.deleted": "API token revoked",
  "webhook.created": "Webhook created",
  "webhook.updated": "Webhook changed",
  "webhook.secret_rotated": "Webhook secret rotated",
  "webhook.deleted": "Webhook removed",
};

/** The title of an event type; an unknown one (a newer server) as its code. */
export const eventTitle = (type: string): string => (type in EVENT_TITLES ? EVENT_TITLES[type as EventType] : type);

/** Every reason code the token endpoint refuses with (shared `DENIAL_REASONS`), for people. */
export const DENIAL_REASON_TITLES: Record<DenialReason, string> = {
  malformed_request: "The token request is malformed",
  malformed_token: "The token is malformed",
  unsupported_token: "The token's form or algorithm is not accepted",
  bad_signature: "The token's signature is not valid",
  unknown_key: "The token is signed with a key its issuer does not publish",
  expired: "The token has expired",
  not_yet_valid: "The token is not valid yet",
  too_old: "The token was issued too long ago",
  missing_claim: "The token lacks a required claim",
  untrusted_issuer: "The token's issuer is not trusted for this connection",
  audience_mismatch: "The token's audience is not this service",
  connection_inactive: "The connection is inactive",
  replay: "The token was already used",
  no_matching_ruleset: "No ruleset matches the token",
  ruleset_expired: "Only an expired ruleset matches the token",
  invalid_target: "The requested audience or resource is not this service",
  rate_limited: "Too many token requests for this connection",
  issuer_unavailable: "The issuer's signing keys could not be fetched",
  unknown_connection: "Unknown connection",
  database_unavailable: "The service could not record the exchange",
  connection_changed: "The connection changed during the exchange",
};

const POLICY_LABELS: Record<keyof OrgPolicySettings, string> = {
  requireImmutableSubjects: "Require immutable subjects",
  requireGateForWrites: "Require a gate for writes",
  forbidPullRequestWrites: "Forbid writes from pull requests",
  maxTokenTtlSeconds: "Maximum token lifetime",
};

type Row = [string, ReactNode];

function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined || value === "") return <span className="muted">none</span>;
  if (typeof value === "boolean") return <code className="code-inline">{value ? "yes" : "no"}</code>;
  if (typeof value === "string" || typeof value === "number") return <code className="code-inline">{String(value)}</code>;
  if (Array.isArray(value) && value.every((v) => typeof v === "string"))
    return <>{value.length ? value.join(", ") : <span className="muted">none</span>}</>;
  return <code className="code-inline code-wrap">{JSON.stringify(value)}</code>;
}

function Facts({ rows }: { rows: Row[] }) {
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

/** Rows for the values that are present (a token's claims may be missing: null). */
function rows(...entries: [string, unknown, ReactNode?][]): Row[] {
  return entries
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([label, v, node]) => [label, node ?? <Value key={label} value={v} />]);
}

const change = (before: unknown, after: unknown) => (
  <span>
    <Value value={before} /> → <Value value={after} />
  </span>
);

/** The run's ID, linked to the run on GitHub when the event holds what the URL needs and may be trusted. */
function RunLink({ job, linkable }: { job: Pick<EventJob, "serverUrl" | "repository" | "runId" | "runAttempt">; linkable: boolean }) {
  const text = `${job.runId}${job.runAttempt && job.runAttempt !== "1" ? ` (attempt ${job.runAttempt})` : ""}`;
  const url = linkable ? workflowRunUrl(job) : null;
  if (!url) return <Value value={text} />;
  return (
    <a href={url} target="_blank" rel="noopener noreferrer" aria-label={`Workflow run ${text} on GitHub (opens in a new tab)`}>
      {text}
    </a>
  );
}

function AccessList({ access }: { access: { name: string; scopes: readonly string[] }[] }) {
  if (!access.length) return <span className="muted">none</span>;
  return (
    <ul className="plain-list">
      {access.map((g) => (
        <li key={g.name}>
          <code className="code-inline">{g.name}</code>: {g.scopes.join(", ")}
        </li>
      ))}
    </ul>
  );
}

function updatedRows(d: EventDetailsOf<"connection.updated">): Row[] {
  const out: Row[] = [];
  const { name, description, maxTokenTtlSeconds, rulesets } = d.changes;
  if (name) out.push(["Name", change(name.before, name.after)]);
  if (description) out.push(["Description", change(description.before, description.after)]);
  if (maxTokenTtlSeconds) out.push(["Maximum token lifetime", change(maxTokenTtlSeconds.before, maxTokenTtlSeconds.after)]);
  if (rulesets) {
    if (rulesets.added.length) out.push(["Rulesets added", rulesets.added.join(", ")]);
    if (rulesets.removed.length) out.push(["Rulesets removed", rulesets.removed.join(", ")]);
    for (const c of rulesets.changed)
      out.push([
        `Ruleset “${c.label}” changed`,
        <ul key={c.id} className="plain-list">
          {(Object.keys(c.after) as (keyof typeof c.after)[]).map((field) => (
            <li key={field}>
              {field}: <Value value={c.before[field]} /> → <Value value={c.after[field]} />
            </li>
          ))}
        </ul>,
      ]);
    if (rulesets.reordered) out.push(["Rulesets", "reordered"]);
  }
  return [...out, ["Version", <Value key="v" value={d.version} />]];
}

function jobRows(job: EventJob | undefined, linkable: boolean): Row[] {
  if (!job) return [];
  return rows(
    ["Subject", job.sub],
    ["Repository", job.repository],
    ["Ref", job.ref],
    ["Workflow", job.workflow],
    // Only a verified token's run is linked: an unverified one could name any repository.
    ["Run", job.runId, <RunLink key="run" job={job} linkable={linkable} />],
    ["Job workflow", job.jobWorkflowRef],
    ["Commit", job.sha],
  );
}

function deniedRows(event: EventOf<"token.denied">): Row[] {
  const d = event.details;
  return [
    [
      "Reason",
      <span key="r">
        {DENIAL_REASON_TITLES[event.reason]} <code className="code-inline">{event.reason}</code>
      </span>,
    ],
    ["Message", <Value key="m" value={d.description} />],
    ...jobRows(d.job, d.verified),
    ...(d.diagnosis ? ([["Closest ruleset", <ClosestMiss key="c" diagnosis={d.diagnosis} />]] as Row[]) : []),
    ...rows(["Expired rulesets that match", d.expired], ["Audit rulesets that match", d.audit]),
    ["Token verified", <Value key="v" value={d.verified} />],
    ["Error code", <Value key="e" value={d.error} />],
    ["Request ID", <Value key="q" value={d.requestId} />],
  ];
}

type EventOf<T extends EventType> = Extract<EventBody, { type: T }>;
const webhookRows = (d: { url: string; events: string[] }): Row[] => [
  ["URL", <Value key="u" value={d.url} />],
  ["Event types", <Value key="e" value={d.events} />],
];

/** The rows of one event of the contract, by type: tsc fails here until a new type is rendered. */
function detailRows(event: EventBody): Row[] {
  switch (event.type) {
    case "connection.created":
      return [["Rulesets", event.details.rulesets.map((r) => r.label).join(", ")]];
    case "connection.updated":
      return updatedRows(event.details);
    case "connection.deactivated":
    case "connection.activated":
      return [["Version", <Value key="v" value={event.details.version} />]];
    case "connection.deleted":
      return [["Name", <Value key="n" value={event.details.name} />]];
    case "token.exchanged": {
      const d = event.details;
      return [
        ...rows(["Repository", d.repository], ["Ref", d.ref], ["Workflow", d.workflow]),
        ...rows(["Run", d.runId, <RunLink key="run" job={d} linkable />], ["Subject", d.subject]),
        ["Matched rulesets", <Value key="m" value={d.rulesets} />],
        ["Granted access", <AccessList key="a" access={d.access.map((g) => ({ name: g.resource, scopes: g.scopes }))} />],
        ["Token lifetime", <span key="l">{d.expiresIn} seconds</span>],
        ...rows(["Audit rulesets that match", d.audit], ["Job workflow", d.jobWorkflowRef], ["Commit", d.sha]),
        ["Token ID", <Value key="t" value={d.tokenId} />],
        ["Request ID", <Value key="q" value={d.requestId} />],
      ];
    }
    case "token.denied":
      return deniedRows(event);
    case "token.first_use": {
      const d = event.details;
      return [
        ["Repository", <Value key="r" value={d.repository} />],
        // The run is linked from its `token.exchanged` event, shown beside this one.
        ...rows(["Ref", d.ref], ["Workflow", d.workflow], ["Run", d.runId]),
        ["Token ID", <Value key="t" value={d.tokenId} />],
      ];
    }
    case "registry.token": {
      // A registry login, pull or push (SPEC §9): what was asked, what was granted, by whom.
      const d = event.details;
      return [
        [
          "Granted access",
          d.access.length ? (
            <AccessList key="a" access={d.access.map((g) => ({ name: g.name, scopes: g.actions }))} />
          ) : (
            <span key="a" className="muted">
              none (a login, or nothing asked is granted)
            </span>
          ),
        ],
        ["Requested", <Value key="s" value={d.scope ? d.scope.split(" ") : null} />],
        ["Registry", <Value key="r" value={d.service} />],
        ["Username", <Value key="u" value={d.username} />],
        ...rows(["Repository", d.repository], ["Ref", d.ref]),
        ["Token ID", <Value key="t" value={d.tokenId} />],
        ["Request ID", <Value key="q" value={d.requestId} />],
      ];
    }
    case "policy.updated":
      return [
        ...(Object.keys(event.details.changes) as (keyof OrgPolicySettings)[]).map((key): Row => {
          const c = event.details.changes[key];
          return [POLICY_LABELS[key], change(c?.before, c?.after)];
        }),
        ["Version", <Value key="v" value={event.details.version} />],
      ];
    case "api_token.created":
      return [
        ["Name", <Value key="n" value={event.details.name} />],
        ["Role", <Value key="r" value={event.details.role} />],
        ["Expires", <Value key="e" value={event.details.expiresAt ?? "never"} />],
      ];
    case "api_token.deleted":
      return [
        ["Name", <Value key="n" value={event.details.name} />],
        ["Role", <Value key="r" value={event.details.role} />],
      ];
    case "webhook.created":
    case "webhook.deleted":
      return webhookRows(event.details);
    case "webhook.updated": {
      const { before, after } = event.details;
      return [
        ...(before.url !== after.url ? ([["URL", change(before.url, after.url)]] as Row[]) : []),
        ["Event types", change(before.events, after.events)],
      ];
    }
    case "webhook.secret_rotated":
      return [];
    default: {
      const unrendered: never = event;
      return unrendered;
    }
  }
}

/** The event of the contract, or null for one this console does not know (an older or newer shape). */
export function parseEvent(event: { type: string; outcome: string; reason: string | null; details: unknown }): EventBody | null {
  const parsed = EventBodySchema.safeParse({ type: event.type, outcome: event.outcome, reason: event.reason, details: event.details });
  return parsed.success ? parsed.data : null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * What an event says. An event of the contract is shown by type; keys the contract does not name
 * (and every key of an event it does not know) are shown as they are, so nothing is hidden.
 */
export function EventDetails({ event }: { event: { type: string; outcome: string; reason: string | null; details: unknown } }) {
  const raw = isObject(event.details) ? event.details : {};
  const body = parseEvent(event);
  const known: Record<string, unknown> = body ? body.details : {};
  const extra: Row[] = Object.entries(raw)
    .filter(([k]) => !(k in known))
    .map(([k, v]) => [k, <Value key={k} value={v} />]);
  const reason = !body && event.reason ? event.reason : null;
  const reasonRow: Row[] = reason
    ? [
        [
          "Reason",
          <span key="r">
            {reason in DENIAL_REASON_TITLES ? `${DENIAL_REASON_TITLES[reason as DenialReason]} ` : ""}
            <code className="code-inline">{reason}</code>
          </span>,
        ],
      ]
    : [];
  return <Facts rows={[...reasonRow, ...(body ? detailRows(body) : []), ...extra]} />;
}
