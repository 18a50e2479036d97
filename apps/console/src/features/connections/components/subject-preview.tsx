import type { Scope } from "@oidc/shared";
import { useMemo } from "react";
import { callerExamples, type ExampleOwner, exampleSubjects, pinnedWorkflow, previewRuleset } from "../lib/examples";

/** Example GitHub subjects marked as matching or not, computed in the browser with the shared matcher. */
export function SubjectPreview({
  subject,
  conditions,
  scopes,
  owner,
}: {
  subject: string;
  conditions: { claim: string; pattern: string }[];
  scopes: Scope[];
  owner: ExampleOwner;
}) {
  const rows = useMemo(() => {
    const pinned = pinnedWorkflow(conditions);
    // A ruleset pinned to a central reusable workflow is previewed with that workflow's callers.
    const examples = pinned ? callerExamples(owner, pinned) : exampleSubjects(owner);
    return previewRuleset({ subject, conditions: conditions.filter((c) => c.claim && c.pattern), scopes }, examples);
  }, [subject, conditions, scopes, owner]);
  const count = rows.filter((r) => r.matches).length;
  return (
    <section className="preview" aria-label="Live preview">
      <p className="preview-title">
        Live preview: <strong>{count}</strong> of {rows.length} example jobs would get a token
      </p>
      <ul className="preview-list">
        {rows.map((r) => (
          <li key={r.kind} className={r.matches ? "preview-yes" : "preview-no"}>
            <span className="preview-mark" aria-hidden="true">
              {r.matches ? "✓" : "✕"}
            </span>
            <span className="preview-kind">{r.kind}</span>
            <code className="preview-sub">{r.sub}</code>
            <span className="visually-hidden">{r.matches ? "matches" : "does not match"}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
