import { lintRulesets } from "@oidc/shared";
import { useMemo } from "react";
import { Link } from "react-router";
import { isApiError } from "../../../lib/api-client";
import { absoluteTime, expiryText, relativeTime } from "../../../lib/format";
import { paths } from "../../../lib/paths";
import { UsageSection } from "../../visibility/components/usage-section";
import { useAuditSummary } from "../api/get-audit-summary";
import type { Connection } from "../api/get-connection";
import { useUpdateConnection } from "../api/update-connection";
import { knownOwner, type OwnerInfo } from "../lib/examples";
import { personLabel } from "../lib/person";
import { groupWarnings } from "../lib/warnings";
import { AuditMatches } from "./audit-ruleset";
import { RulesetFacts } from "./connection-review";
import { ConnectionSetup } from "./connection-setup";
import { GroupedWarnings } from "./warning-list";

/**
 * Connection ID and snippet first (what an admin came for), then the rulesets with their warnings:
 * the shared lints again, with the org's owner ID in the advice, and repeated advice said once.
 */
export function ConnectionOverview({
  connection,
  org,
  owner,
  canManage = false,
}: {
  connection: Connection;
  org: string;
  owner: OwnerInfo;
  canManage?: boolean;
}) {
  const { githubOwner, githubOwnerId } = owner;
  const hasAudit = connection.rulesets.some((r) => r.mode === "audit");
  const audit = useAuditSummary(org, connection.id, hasAudit);
  const update = useUpdateConnection(org, connection.id);
  /** One click: the ordinary edit (If-Match) that switches this ruleset to enforce. */
  const enforce = (id: string) =>
    update.mutate({
      version: connection.version,
      body: {
        rulesets: connection.rulesets.map(({ lastUsedAt: _, ...r }) => ({ ...r, mode: r.id === id ? "enforce" : r.mode })),
      },
    });
  const { groups, perRuleset } = useMemo(
    () =>
      groupWarnings(
        lintRulesets(connection.rulesets, knownOwner({ githubOwner, githubOwnerId }), Date.now()),
        connection.rulesets.map((r) => r.label),
        { githubOwner, githubOwnerId },
      ),
    [connection.rulesets, githubOwner, githubOwnerId],
  );
  return (
    <div className="stack-lg">
      <ConnectionSetup id={connection.id} org={org} />
      {connection.policyViolations.length > 0 && (
        <section className="alert alert-warning" aria-labelledby="policy-heading">
          <h2 id="policy-heading" className="alert-title">
            Breaks the organisation's policy
          </h2>
          <p>
            This connection was saved before the <Link to={paths.policy(org)}>policy</Link> changed. It keeps working, but the next edit of
            its rulesets must comply.
          </p>
          <ul>
            {connection.policyViolations.map((v) => (
              <li key={`${v.setting}-${v.path.join(".")}`}>
                <strong>{connection.rulesets[Number(v.path[1])]?.label ?? "Ruleset"}:</strong> {v.message}
              </li>
            ))}
          </ul>
          {canManage && (
            <p>
              <Link className="btn btn-secondary btn-sm" to={paths.editConnection(org, connection.id)}>
                Edit the rulesets
              </Link>
            </p>
          )}
        </section>
      )}
      <UsageSection org={org} id={connection.id} />
      <section className="card" aria-labelledby="about-heading">
        <h2 id="about-heading" className="card-title">
          About
        </h2>
        <dl className="dl">
          <dt>Description</dt>
          <dd>{connection.description || <span className="muted">None</span>}</dd>
          <dt>Type</dt>
          <dd>GitHub Actions</dd>
          <dt>Issuer</dt>
          <dd>
            <code className="code-inline code-wrap">{connection.issuer}</code>
          </dd>
          <dt>Maximum token lifetime</dt>
          <dd>{connection.maxTokenTtlSeconds} seconds</dd>
          <dt>Last used</dt>
          <dd>
            {connection.lastUsedAt ? (
              <time dateTime={connection.lastUsedAt} title={absoluteTime(connection.lastUsedAt)}>
                {relativeTime(connection.lastUsedAt)}
              </time>
            ) : (
              <span className="muted">Never</span>
            )}
          </dd>
          <dt>Created</dt>
          <dd>
            {absoluteTime(connection.createdAt)} by {personLabel(connection.createdBy)}
          </dd>
          <dt>Last changed</dt>
          <dd>
            {absoluteTime(connection.updatedAt)} by {personLabel(connection.updatedBy)} (version {connection.version})
          </dd>
        </dl>
      </section>
      <section className="stack" aria-labelledby="rulesets-heading">
        <h2 id="rulesets-heading">Rulesets</h2>
        {update.error && (
          <div className="field-error" role="alert">
            {isApiError(update.error, 412)
              ? "Someone else changed this connection in the meantime: reload it, then enforce again."
              : update.error.message}
            {isApiError(update.error) && update.error.issues.length > 0 && (
              <ul>
                {update.error.issues.map((issue) => (
                  <li key={issue.path.join(".")}>{issue.message}</li>
                ))}
              </ul>
            )}
          </div>
        )}
        <GroupedWarnings groups={groups} />
        {connection.rulesets.map((r, i) => (
          <section key={r.id} className="card" aria-label={`Ruleset ${i + 1}: ${r.label}`}>
            <div className="card-head">
              <h3 className="card-title">
                {i + 1}. {r.label}
                {r.mode === "audit" && <span className="badge badge-inactive badge-inline">Audit</span>}
                {r.expiresAt && (
                  <span className="badge badge-inactive badge-inline" title={absoluteTime(r.expiresAt)}>
                    {expiryText(r.expiresAt)}
                  </span>
                )}
              </h3>
              <span className="muted">
                {r.lastUsedAt ? (
                  <>
                    Last used <time dateTime={r.lastUsedAt}>{relativeTime(r.lastUsedAt)}</time>
                  </>
                ) : (
                  "Never used"
                )}
              </span>
            </div>
            {r.mode === "audit" && (
              <div className="stack">
                <AuditMatches entry={audit.data?.rulesets.find((a) => a.id === r.id)} loading={audit.isPending} />
                {canManage && (
                  <p className="inline-actions">
                    <button type="button" className="btn btn-secondary btn-sm" disabled={update.isPending} onClick={() => enforce(r.id)}>
                      Enforce “{r.label}”
                    </button>
                  </p>
                )}
              </div>
            )}
            <RulesetFacts ruleset={r} warnings={perRuleset[i] ?? []} />
          </section>
        ))}
      </section>
    </div>
  );
}
