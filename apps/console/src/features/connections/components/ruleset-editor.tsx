import { CONDITION_CLAIMS, immutableSubject, MAX_CONDITIONS, SCOPES, type Scope, SubjectPatternSchema } from "@oidc/shared";
import { useId } from "react";
import { Controller, useController, useFieldArray, useFormContext, useFormState, useWatch } from "react-hook-form";
import { Field } from "../../../components/ui/field";
import { expiryText, fromLocalInput, toLocalInput } from "../../../lib/format";
import { type ConnectionDraft, SCOPE_LABELS, SCOPE_PRESETS } from "../lib/draft";
import type { ExampleOwner } from "../lib/examples";
import { suggestedSubjects } from "../lib/examples";
import type { RulesetWarning } from "../lib/warnings";
import { ReusableWorkflowPreset } from "./reusable-workflow-preset";
import { SubjectPreview } from "./subject-preview";
import { WarningList } from "./warning-list";

interface Props {
  index: number;
  count: number;
  /** Every ruleset's label, in order: a label must be unique, so editing one re-checks the others. */
  labels: string[];
  warnings: RulesetWarning[];
  /** The org's owner ID when the subject names the org's owner: offers one-click fixes. */
  knownOwnerId: string | null;
  /** The org's GitHub owner (for the reusable-workflow preset): its ID when known. */
  orgOwner: { owner: string; ownerId: string | null };
  /** The error at a dotted path of the form (the form's own, else the org policy's). */
  errorAt: (name: string) => string | undefined;
  repositories: { name: string; fullName: string }[];
  owner: ExampleOwner;
  onRemove: () => void;
  onMove: (delta: -1 | 1) => void;
}

const sameScopes = (a: Scope[], b: Scope[]) => a.length === b.length && a.every((s) => b.includes(s));

export function RulesetEditor({
  index,
  count,
  labels,
  warnings,
  knownOwnerId,
  orgOwner,
  errorAt,
  repositories,
  owner,
  onRemove,
  onMove,
}: Props) {
  const id = useId();
  const name = `rulesets.${index}` as const;
  const { control, register, setValue } = useFormContext<ConnectionDraft>();
  // After a submit was tried, a change re-validates the field (and clears its server error), as typing does.
  const { isSubmitted } = useFormState({ control });
  const ruleset = useWatch({ control, name });
  const conditions = useFieldArray({ control, name: `${name}.conditions` });
  // A controller, not <Controller>: <Field> wires its label, hint and error to its direct child.
  const expires = useController({ control, name: `${name}.expiresAt` });
  const setSubject = (subject: string) => setValue(`${name}.subject`, subject, { shouldDirty: true, shouldValidate: isSubmitted });
  const at = (field: string) => errorAt(`${name}.${field}`);
  const subjectCheck = ruleset.subject ? SubjectPatternSchema.safeParse(ruleset.subject) : null;
  const subjectError = (subjectCheck && !subjectCheck.success ? subjectCheck.error.issues[0]?.message : undefined) ?? at("subject");
  const resourceError = at("resources");
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
        <input
          className="input"
          maxLength={64}
          {...register(`${name}.label`, { deps: labels.flatMap((_, j) => (j === index ? [] : [`rulesets.${j}.label` as const])) })}
        />
      </Field>

      <fieldset className="subfield">
        <legend>Mode</legend>
        <div className="inline-actions">
          <label className="checkbox">
            <input type="radio" value="enforce" checked={mode === "enforce"} {...register(`${name}.mode`)} />
            <span>Enforce — matching jobs get tokens</span>
          </label>
          <label className="checkbox">
            <input type="radio" value="audit" checked={mode === "audit"} {...register(`${name}.mode`)} />
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
          ref={expires.field.ref}
          name={expires.field.name}
          onBlur={expires.field.onBlur}
          value={expires.field.value ? toLocalInput(expires.field.value) : ""}
          onChange={(e) => expires.field.onChange(fromLocalInput(e.target.value))}
        />
      </Field>

      <Field
        label="Subject claim pattern"
        hint="Matched against the token's sub claim. * matches any characters (also / and :), ? exactly one."
        error={subjectError}
      >
        <input
          className="input input-mono"
          spellCheck={false}
          autoCapitalize="off"
          autoComplete="off"
          placeholder={`repo:${owner.owner}/${owner.repo}:ref:refs/heads/main`}
          {...register(`${name}.subject`)}
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
            onClick={() => setSubject(s.subject)}
          >
            {s.label}
          </button>
        ))}
      </div>

      <ReusableWorkflowPreset
        owner={orgOwner}
        repositories={repositories}
        onApply={(subject, condition) => {
          conditions.replace([...ruleset.conditions.filter((c) => c.claim !== "job_workflow_ref"), condition].slice(0, MAX_CONDITIONS));
          setSubject(subject);
        }}
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
                <button type="button" className="btn btn-secondary btn-sm" title={immutable} onClick={() => setSubject(immutable)}>
                  Use the immutable form
                </button>
              )}
              {ruleset.conditions.length < MAX_CONDITIONS && (
                <button
                  type="button"
                  className="btn btn-ghost btn-sm"
                  onClick={() => conditions.append({ claim: "repository_owner_id", pattern: knownOwnerId }, { shouldFocus: false })}
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
        {conditions.fields.map((c, ci) => (
          <div key={c.id} className="condition-row">
            <Field label={`Claim ${ci + 1}`} error={at(`conditions.${ci}.claim`)}>
              <input className="input input-mono" list={listId} {...register(`${name}.conditions.${ci}.claim`)} />
            </Field>
            <Field label={`Pattern ${ci + 1}`} error={at(`conditions.${ci}.pattern`)}>
              <input className="input input-mono" {...register(`${name}.conditions.${ci}.pattern`)} />
            </Field>
            <button
              type="button"
              className="btn btn-danger-ghost btn-sm condition-remove"
              aria-label={`Remove condition ${ci + 1}`}
              onClick={() => conditions.remove(ci)}
            >
              Remove
            </button>
          </div>
        ))}
        <button
          type="button"
          className="btn btn-secondary btn-sm"
          disabled={conditions.fields.length >= MAX_CONDITIONS}
          onClick={() => conditions.append({ claim: "environment", pattern: "" }, { shouldFocus: false })}
        >
          + Add condition
        </button>
      </fieldset>

      <fieldset
        className={`subfield${resourceError ? " field-invalid" : ""}`}
        aria-describedby={resourceError ? `${id}-res-error` : undefined}
      >
        <legend>Repositories</legend>
        <Controller
          control={control}
          name={`${name}.resources`}
          render={({ field }) =>
            repositories.length === 0 ? (
              <p className="field-hint">This organisation has no repositories yet.</p>
            ) : (
              <>
                <div className="inline-actions">
                  <button
                    type="button"
                    className="btn btn-ghost btn-sm"
                    onClick={() => field.onChange(repositories.map((r) => r.fullName))}
                  >
                    Select all
                  </button>
                  <button type="button" className="btn btn-ghost btn-sm" onClick={() => field.onChange([])}>
                    Clear
                  </button>
                </div>
                <div className="checkbox-grid">
                  {repositories.map((repo, ri) => (
                    <label key={repo.fullName} className="checkbox">
                      <input
                        type="checkbox"
                        ref={ri === 0 ? field.ref : undefined}
                        checked={field.value.includes(repo.fullName)}
                        onChange={(e) =>
                          field.onChange(
                            e.target.checked
                              ? repositories.map((r) => r.fullName).filter((n) => n === repo.fullName || field.value.includes(n))
                              : field.value.filter((n) => n !== repo.fullName),
                          )
                        }
                      />
                      <span className="mono">{repo.fullName}</span>
                    </label>
                  ))}
                </div>
              </>
            )
          }
        />
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
        <Controller
          control={control}
          name={`${name}.scopes`}
          render={({ field }) => (
            <>
              <div className="inline-actions">
                <span className="suggestions-label">Presets:</span>
                {SCOPE_PRESETS.map((p) => (
                  <button
                    key={p.label}
                    type="button"
                    className="chip"
                    aria-pressed={sameScopes(p.scopes, field.value)}
                    onClick={() => field.onChange(p.scopes)}
                  >
                    {p.label}
                  </button>
                ))}
              </div>
              <div className="checkbox-grid">
                {SCOPES.map((scope, si) => (
                  <label key={scope} className="checkbox">
                    <input
                      type="checkbox"
                      ref={si === 0 ? field.ref : undefined}
                      checked={field.value.includes(scope)}
                      onChange={(e) =>
                        field.onChange(
                          e.target.checked
                            ? SCOPES.filter((s) => s === scope || field.value.includes(s))
                            : field.value.filter((s) => s !== scope),
                        )
                      }
                    />
                    <span>{SCOPE_LABELS[scope]}</span>
                  </label>
                ))}
              </div>
            </>
          )}
        />
        {at("scopes") && (
          <p id={`${id}-scope-error`} className="field-error">
            {at("scopes")}
          </p>
        )}
      </fieldset>
    </fieldset>
  );
}
