import { CONDITION_CLAIMS, immutableSubject, MAX_CONDITIONS, SCOPES, type Scope, SubjectPatternSchema } from "@oidc/shared";
import { useId } from "react";
import { Field } from "../../../components/ui/field";
import { expiryText, fromLocalInput, toLocalInput } from "../../../lib/format";
import { type FieldErrors, type RulesetDraft, SCOPE_LABELS, SCOPE_PRESETS } from "../lib/draft";
import type { ExampleOwner } from "../lib/examples";
import { suggestedSubjects } from "../lib/examples";
import type { RulesetWarning } from "../lib/warnings";
import { ReusableWorkflowPreset } from "./reusable-workflow-preset";
import { SubjectPreview } from "./subject-preview";
import { WarningList } from "./warning-list";

interface Props {
  index: number;
  count: number;
  ruleset: RulesetDraft;
  warnings: RulesetWarning[];
  /** The org's owner ID when the subject names the org's owner: offers one-click fixes. */
  knownOwnerId: string | null;
  /** The org's GitHub owner (for the reusable-workflow preset): its ID when known. */
  orgOwner: { owner: string; ownerId: string | null };
  errors: FieldErrors;
  repositories: { name: string; fullName: string }[];
  owner: ExampleOwner;
  onChange: (patch: Partial<RulesetDraft>, field: string) => void;
  onRemove: () => void;
  onMove: (delta: -1 | 1) => void;
}

const sameScopes = (a: Scope[], b: Scope[]) => a.length === b.length && a.every((s) => b.includes(s));

export function RulesetEditor({
  index,
  count,
  ruleset,
  warnings,
  knownOwnerId,
  orgOwner,
  errors,
  repositories,
  owner,
  onChange,
  onRemove,
  onMove,
}: Props) {
  const id = useId();
  const at = (field: string) => errors[`rulesets.${index}.${field}`];
  const subjectCheck = ruleset.subject ? SubjectPatternSchema.safeParse(ruleset.subject) : null;
  const subjectError = (subjectCheck && !subjectCheck.success ? subjectCheck.error.issues[0]?.message : undefined) ?? at("subject");
  const resourceError = at("resources") ?? Object.entries(errors).find(([k]) => k.startsWith(`rulesets.${index}.resources.`))?.[1];
  const title = `Ruleset ${index + 1}${ruleset.label ? `: ${ruleset.label}` : ""}`;
  const listId = `${id}-claims`;
  const mode = ruleset.mode ?? "enforce";
  return (
    <fieldset className="ruleset card">
      <legend className="ruleset-legend">{title}</legend>
      <div className="ruleset-toolbar">
        <button
          type="button"
          className="btn btn-ghost btn-sm"
          onClick={() => onMove(-1)}
          disabled={index === 0}
          aria-label={`Move ${title} up`}
        >
          ↑ Up
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-sm"
          onClick={() => onMove(1)}
          disabled={index === count - 1}
          aria-label={`Move ${title} down`}
        >
          ↓ Down
        </button>
        <button
          type="button"
          className="btn btn-danger-ghost btn-sm"
          onClick={onRemove}
          disabled={count === 1}
          aria-label={`Remove ${title}`}
        >
          Remove
        </button>
      </div>

      <Field label="Label" hint="A short name for this rule, shown in the activity log." error={at("label")}>
        <input className="input" value={ruleset.label} maxLength={64} onChange={(e) => onChange({ label: e.target.value }, "label")} />
      </Field>

      <fieldset className="subfield">
        <legend>Mode</legend>
        <div className="inline-actions">
          <label className="checkbox">
            <input type="radio" name={`${id}-mode`} checked={mode === "enforce"} onChange={() => onChange({ mode: "enforce" }, "mode")} />
            <span>Enforce — matching jobs get tokens</span>
          </label>
          <label className="checkbox">
            <input type="radio" name={`${id}-mode`} checked={mode === "audit"} onChange={() => onChange({ mode: "audit" }, "mode")} />
            <span>Audit — grants nothing, records which jobs it would have matched</span>
          </label>
        </div>
      </fieldset>

      <Field
        label="Expires (UTC, optional)"
        hint={
          ruleset.expiresAt
            ? `This ruleset ${expiryText(ruleset.expiresAt)}; after that it matches nothing.`
            : "After this time the ruleset matches nothing. Leave empty to keep it."
        }
        error={at("expiresAt")}
      >
        <input
          className="input"
          type="datetime-local"
          value={ruleset.expiresAt ? toLocalInput(ruleset.expiresAt) : ""}
          onChange={(e) => onChange({ expiresAt: fromLocalInput(e.target.value) }, "expiresAt")}
        />
      </Field>

      <Field
        label="Subject claim pattern"
        hint="Matched against the token's sub claim. * matches any characters (also / and :), ? exactly one."
        error={subjectError}
      >
        <input
          className="input input-mono"
          value={ruleset.subject}
          spellCheck={false}
          autoCapitalize="off"
          autoComplete="off"
          placeholder={`repo:${owner.owner}/${owner.repo}:ref:refs/heads/main`}
          onChange={(e) => onChange({ subject: e.target.value }, "subject")}
        />
      </Field>
      <div className="suggestions">
        <span className="suggestions-label" id={`${id}-suggest`}>
          Suggestions:
        </span>
        {suggestedSubjects(owner).map((s) => (
          <button
            key={s.label}
            type="button"
            className="chip"
            aria-describedby={`${id}-suggest`}
            title={s.subject}
            onClick={() => onChange({ subject: s.subject }, "subject")}
          >
            {s.label}
          </button>
        ))}
      </div>

      <ReusableWorkflowPreset
        owner={orgOwner}
        repositories={repositories}
        onApply={(subject, condition) =>
          onChange(
            {
              subject,
              conditions: [...ruleset.conditions.filter((c) => c.claim !== "job_workflow_ref"), condition].slice(0, MAX_CONDITIONS),
            },
            "subject",
          )
        }
      />

      <WarningList
        warnings={warnings}
        label={`Warnings for ${title}`}
        fix={(w) => {
          if (w.code !== "name_only_subject" || !knownOwnerId) return null;
          const immutable = immutableSubject(ruleset.subject, knownOwnerId);
          return (
            <span className="inline-actions">
              {immutable && (
                <button
                  type="button"
                  className="btn btn-secondary btn-sm"
                  title={immutable}
                  onClick={() => onChange({ subject: immutable }, "subject")}
                >
                  Use the immutable form
                </button>
              )}
              {ruleset.conditions.length < MAX_CONDITIONS && (
                <button
                  type="button"
                  className="btn btn-ghost btn-sm"
                  onClick={() =>
                    onChange({ conditions: [...ruleset.conditions, { claim: "repository_owner_id", pattern: knownOwnerId }] }, "conditions")
                  }
                >
                  Add the condition repository_owner_id = {knownOwnerId}
                </button>
              )}
            </span>
          );
        }}
      />

      {ruleset.subject && subjectCheck?.success && (
        <SubjectPreview subject={ruleset.subject} conditions={ruleset.conditions} scopes={ruleset.scopes} owner={owner} />
      )}

      <fieldset className="subfield">
        <legend>Claim conditions (optional)</legend>
        <p className="field-hint">
          Every condition must match too, e.g. environment = production or repository_owner_id = {owner.ownerId}.
        </p>
        <datalist id={listId}>
          {CONDITION_CLAIMS.map((c) => (
            <option key={c} value={c} />
          ))}
          <option value="repo_property_" />
        </datalist>
        {ruleset.conditions.map((c, ci) => (
          <div key={ci} className="condition-row">
            <Field label={`Claim ${ci + 1}`} error={at(`conditions.${ci}.claim`)}>
              <input
                className="input input-mono"
                list={listId}
                value={c.claim}
                onChange={(e) =>
                  onChange(
                    { conditions: ruleset.conditions.map((x, j) => (j === ci ? { ...x, claim: e.target.value } : x)) },
                    `conditions.${ci}.claim`,
                  )
                }
              />
            </Field>
            <Field label={`Pattern ${ci + 1}`} error={at(`conditions.${ci}.pattern`)}>
              <input
                className="input input-mono"
                value={c.pattern}
                onChange={(e) =>
                  onChange(
                    { conditions: ruleset.conditions.map((x, j) => (j === ci ? { ...x, pattern: e.target.value } : x)) },
                    `conditions.${ci}.pattern`,
                  )
                }
              />
            </Field>
            <button
              type="button"
              className="btn btn-danger-ghost btn-sm condition-remove"
              aria-label={`Remove condition ${ci + 1}`}
              onClick={() => onChange({ conditions: ruleset.conditions.filter((_, j) => j !== ci) }, "conditions")}
            >
              Remove
            </button>
          </div>
        ))}
        <button
          type="button"
          className="btn btn-secondary btn-sm"
          disabled={ruleset.conditions.length >= MAX_CONDITIONS}
          onClick={() => onChange({ conditions: [...ruleset.conditions, { claim: "environment", pattern: "" }] }, "conditions")}
        >
          + Add condition
        </button>
      </fieldset>

      <fieldset
        className={`subfield${resourceError ? " field-invalid" : ""}`}
        aria-describedby={resourceError ? `${id}-res-error` : undefined}
      >
        <legend>Repositories</legend>
        {repositories.length === 0 ? (
          <p className="field-hint">This organisation has no repositories yet.</p>
        ) : (
          <>
            <div className="inline-actions">
              <button
                type="button"
                className="btn btn-ghost btn-sm"
                onClick={() => onChange({ resources: repositories.map((r) => r.fullName) }, "resources")}
              >
                Select all
              </button>
              <button type="button" className="btn btn-ghost btn-sm" onClick={() => onChange({ resources: [] }, "resources")}>
                Clear
              </button>
            </div>
            <div className="checkbox-grid">
              {repositories.map((repo) => (
                <label key={repo.fullName} className="checkbox">
                  <input
                    type="checkbox"
                    checked={ruleset.resources.includes(repo.fullName)}
                    onChange={(e) =>
                      onChange(
                        {
                          resources: e.target.checked
                            ? repositories.map((r) => r.fullName).filter((n) => n === repo.fullName || ruleset.resources.includes(n))
                            : ruleset.resources.filter((n) => n !== repo.fullName),
                        },
                        "resources",
                      )
                    }
                  />
                  <span className="mono">{repo.fullName}</span>
                </label>
              ))}
            </div>
          </>
        )}
        {resourceError && (
          <p id={`${id}-res-error`} className="field-error">
            {resourceError}
          </p>
        )}
      </fieldset>

      <fieldset
        className={`subfield${at("scopes") ? " field-invalid" : ""}`}
        aria-describedby={at("scopes") ? `${id}-scope-error` : undefined}
      >
        <legend>Scopes</legend>
        <div className="inline-actions">
          <span className="suggestions-label">Presets:</span>
          {SCOPE_PRESETS.map((p) => (
            <button
              key={p.label}
              type="button"
              className="chip"
              aria-pressed={sameScopes(p.scopes, ruleset.scopes)}
              onClick={() => onChange({ scopes: p.scopes }, "scopes")}
            >
              {p.label}
            </button>
          ))}
        </div>
        <div className="checkbox-grid">
          {SCOPES.map((scope) => (
            <label key={scope} className="checkbox">
              <input
                type="checkbox"
                checked={ruleset.scopes.includes(scope)}
                onChange={(e) =>
                  onChange(
                    {
                      scopes: e.target.checked
                        ? SCOPES.filter((s) => s === scope || ruleset.scopes.includes(s))
                        : ruleset.scopes.filter((s) => s !== scope),
                    },
                    "scopes",
                  )
                }
              />
              <span>{SCOPE_LABELS[scope]}</span>
            </label>
          ))}
        </div>
        {at("scopes") && (
          <p id={`${id}-scope-error`} className="field-error">
            {at("scopes")}
          </p>
        )}
      </fieldset>
    </fieldset>
  );
}
