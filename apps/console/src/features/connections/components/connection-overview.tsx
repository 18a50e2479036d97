import { lintRulesets } from "@oidc/shared";
import { useMemo } from "react";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { UsageSection } from "../../visibility/components/usage-section";
import type { Connection } from "../api/get-connection";
import { knownOwner, type OwnerInfo } from "../lib/examples";
import { personLabel } from "../lib/person";
import { groupWarnings } from "../lib/warnings";
import { RulesetFacts } from "./connection-review";
import { ConnectionSetup } from "./connection-setup";
import { GroupedWarnings } from "./warning-list";

/**
 * Connection ID and snippet first (what an admin came for), then the rulesets with their warnings:
 * the shared lints again, with the org's owner ID in the advice, and repeated advice said once.
 */
export function ConnectionOverview({ connection, org, owner }: { connection: Connection; org: string; owner: OwnerInfo }) {
  const { githubOwner, githubOwnerId } = owner;
  const { groups, perRuleset } = useMemo(
    () =>
      groupWarnings(
        lintRulesets(connection.rulesets, knownOwner({ githubOwner, githubOwnerId })),
        connection.rulesets.map((r) => r.label),
        { githubOwner, githubOwnerId },
      ),
    [connection.rulesets, githubOwner, githubOwnerId],
  );
  return (
    <div className="stack-lg">
      <ConnectionSetup id={connection.id} org={org} />
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
        <GroupedWarnings groups={groups} />
        {connection.rulesets.map((r, i) => (
          <section key={r.id} className="card" aria-label={`Ruleset ${i + 1}: ${r.label}`}>
            <div className="card-head">
              <h3 className="card-title">
                {i + 1}. {r.label}
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
            <RulesetFacts ruleset={r} warnings={perRuleset[i] ?? []} />
          </section>
        ))}
      </section>
    </div>
  );
}
