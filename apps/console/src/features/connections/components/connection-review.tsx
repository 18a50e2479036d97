import { GITHUB_ACTIONS_ISSUER, type Warning } from "@oidc/shared";
import type { ConnectionDraft } from "../lib/draft";
import type { OwnerInfo } from "../lib/examples";
import { groupWarnings, type RulesetWarning } from "../lib/warnings";
import { GroupedWarnings, WarningList } from "./warning-list";

/** Everything that will be saved, read-only, with the lints that apply. */
export function ConnectionReview({ draft, warnings, owner }: { draft: ConnectionDraft; warnings: Warning[][]; owner?: OwnerInfo }) {
  const { groups, perRuleset } = groupWarnings(
    warnings,
    draft.rulesets.map((r) => r.label),
    owner,
  );
  return (
    <div className="stack-lg">
      <section className="card">
        <h2 className="card-title">Details</h2>
        <dl className="dl">
          <dt>Name</dt>
          <dd>{draft.name}</dd>
          <dt>Description</dt>
          <dd>{draft.description || <span className="muted">None</span>}</dd>
          <dt>Type</dt>
          <dd>GitHub Actions</dd>
          <dt>Issuer</dt>
          <dd>
            <code className="code-inline">{draft.issuer ?? GITHUB_ACTIONS_ISSUER}</code>
          </dd>
          <dt>Maximum token lifetime</dt>
          <dd>{draft.maxTokenTtlSeconds} seconds</dd>
        </dl>
      </section>
      <GroupedWarnings groups={groups} />
      {draft.rulesets.map((r, i) => (
        <section key={r.key} className="card" aria-label={`Ruleset ${i + 1}: ${r.label}`}>
          <h3 className="card-title">
            Ruleset {i + 1}: {r.label}
          </h3>
          <RulesetFacts ruleset={r} warnings={perRuleset[i] ?? []} />
        </section>
      ))}
    </div>
  );
}

export function RulesetFacts({
  ruleset,
  warnings,
}: {
  ruleset: Pick<ConnectionDraft["rulesets"][number], "subject" | "conditions" | "resources" | "scopes">;
  warnings: RulesetWarning[];
}) {
  return (
    <>
      <dl className="dl">
        <dt>Subject</dt>
        <dd>
          <code className="code-inline">{ruleset.subject}</code>
        </dd>
        <dt>Conditions</dt>
        <dd>
          {ruleset.conditions.length === 0 ? (
            <span className="muted">None</span>
          ) : (
            <ul className="plain-list">
              {ruleset.conditions.map((c) => (
                <li key={`${c.claim}=${c.pattern}`}>
                  <code className="code-inline">{c.claim}</code> matches <code className="code-inline">{c.pattern}</code>
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Repositories</dt>
        <dd>
          <ul className="tag-list">
            {ruleset.resources.map((r) => (
              <li key={r} className="tag mono">
                {r}
              </li>
            ))}
          </ul>
        </dd>
        <dt>Scopes</dt>
        <dd>
          <ul className="tag-list">
            {ruleset.scopes.map((s) => (
              <li key={s} className="tag">
                {s}
              </li>
            ))}
          </ul>
        </dd>
      </dl>
      <WarningList warnings={warnings} label="Warnings" />
    </>
  );
}
