import { GITHUB_ACTIONS_ISSUER, type Warning } from "@oidc/shared";
import type { ConnectionDraft } from "../lib/draft";

/** Everything that will be saved, read-only, with the lints that apply. */
export function ConnectionReview({ draft, warnings }: { draft: ConnectionDraft; warnings: Warning[][] }) {
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
      {draft.rulesets.map((r, i) => (
        <section key={r.key} className="card" aria-label={`Ruleset ${i + 1}: ${r.label}`}>
          <h3 className="card-title">
            Ruleset {i + 1}: {r.label}
          </h3>
          <RulesetFacts ruleset={r} warnings={warnings[i] ?? []} />
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
  warnings: Warning[];
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
      {warnings.length > 0 && (
        <ul className="warnings" aria-label="Warnings">
          {warnings.map((w) => (
            <li key={w.code} className="warning">
              <span className="warning-icon" aria-hidden="true">
                ⚠
              </span>
              <span>{w.message}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
