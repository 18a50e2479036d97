import {
  checkPolicy,
  GITHUB_ACTIONS_ISSUER,
  lintRulesets,
  MAX_RULESETS,
  MAX_TOKEN_TTL,
  MIN_TOKEN_TTL,
  type OrgPolicySettings,
} from "@oidc/shared";
import { useMemo } from "react";
import { useFieldArray, useFormContext, useFormState, useWatch } from "react-hook-form";
import { Field } from "../../../components/ui/field";
import { errorMessage, ownMessage } from "../../../lib/form";
import { type ConnectionDraft, emptyRuleset, newKey, type RulesetDraft } from "../lib/draft";
import { exampleOwner, knownOwner, knownOwnerIdFor, type OwnerInfo } from "../lib/examples";
import { groupWarnings } from "../lib/warnings";
import { RulesetEditor } from "./ruleset-editor";
import { GroupedWarnings } from "./warning-list";

export interface OrgInfo {
  slug: string;
  githubOwner: string | null;
  githubOwnerId: string | null;
}

interface Props {
  repositories: { name: string; fullName: string }[];
  org: OrgInfo;
  /** Editing an existing connection: the type is fixed. */
  editing?: boolean;
  /** The development issuer's URL when this server runs one: offered as a second issuer on create. */
  devIssuer?: string | undefined;
  /** The org's policy (SPEC §11): what breaks it is shown at the field as you type, as the server would refuse it. */
  policy?: OrgPolicySettings | undefined;
}

/** The lints of each ruleset, with the org's owner ID in the advice; none for a subject not typed yet. */
function safeLints(rulesets: RulesetDraft[], org: OwnerInfo) {
  try {
    return lintRulesets(rulesets, knownOwner(org), Date.now()).map((w, i) => (rulesets[i]?.subject.trim() ? w : []));
  } catch {
    return rulesets.map(() => []);
  }
}

/**
 * Name, description, type and 1–5 rulesets; used by create and edit alike, inside a react-hook-form
 * `FormProvider` whose values are a `ConnectionDraft` (errors at the shared schema's paths).
 */
export function ConnectionForm({ repositories, org, editing = false, devIssuer, policy }: Props) {
  const { githubOwner, githubOwnerId } = org;
  const { control, register } = useFormContext<ConnectionDraft>();
  const { errors: formErrors } = useFormState({ control });
  const { fields, append, remove, move } = useFieldArray({ control, name: "rulesets" });
  const rulesets = useWatch({ control, name: "rulesets" });
  /** What breaks the org's policy, at the subject's path, as the server would refuse it (errors of the form win). */
  const fromPolicy = useMemo(() => {
    const out: Record<string, string> = {};
    if (!policy) return out;
    const typed = rulesets.map((r) => ({ ...r, subject: r.subject.trim() }));
    for (const v of checkPolicy(policy, typed, { ownerId: githubOwnerId })) {
      const key = v.path.join(".");
      if (typed[Number(v.path[1])]?.subject && !(key in out)) out[key] = v.message;
    }
    return out;
  }, [policy, rulesets, githubOwnerId]);
  const errorAt = (name: string) => errorMessage(formErrors, name) ?? fromPolicy[name];
  const { groups, perRuleset } = useMemo(() => {
    const warnings = safeLints(rulesets, { githubOwner, githubOwnerId });
    return groupWarnings(
      warnings,
      rulesets.map((r, i) => r.label || `Ruleset ${i + 1}`),
      { githubOwner, githubOwnerId },
    );
  }, [rulesets, githubOwner, githubOwnerId]);
  const full = fields.length >= MAX_RULESETS;
  const listError = ownMessage(formErrors, "rulesets") ?? errorAt(`rulesets.${MAX_RULESETS}`);
  return (
    <div className="stack-lg">
      <section className="card stack" aria-labelledby="details-heading">
        <h2 id="details-heading" className="card-title">
          Details
        </h2>
        <Field label="Name" hint="Unique in this organisation, e.g. “Publish from main”." error={errorAt("name")}>
          <input className="input" maxLength={100} {...register("name")} />
        </Field>
        <Field label="Description (optional)" error={errorAt("description")}>
          <textarea className="input" rows={2} maxLength={500} {...register("description")} />
        </Field>
        <div className="grid-2">
          <Field label="Connection type" hint={editing ? "The type cannot change." : "Where the workflows run."} error={errorAt("type")}>
            <select className="input" value="github-actions" disabled={editing} onChange={() => undefined}>
              <option value="github-actions">GitHub Actions</option>
            </select>
          </Field>
          {devIssuer && !editing && (
            <Field
              label="Issuer"
              hint="Who signs the ID tokens. The development issuer is for trying the flow offline."
              error={errorAt("issuer")}
            >
              <select className="input" {...register("issuer", { setValueAs: (v: string | undefined) => v || undefined })}>
                <option value="">GitHub Actions ({GITHUB_ACTIONS_ISSUER})</option>
                <option value={devIssuer}>Development issuer ({devIssuer})</option>
              </select>
            </Field>
          )}
          <Field
            label="Maximum token lifetime (seconds)"
            hint={`${MIN_TOKEN_TTL}–${MAX_TOKEN_TTL}; workflows may ask for less.`}
            error={errorAt("maxTokenTtlSeconds")}
          >
            <input
              className="input"
              type="number"
              inputMode="numeric"
              min={MIN_TOKEN_TTL}
              max={MAX_TOKEN_TTL}
              step={60}
              {...register("maxTokenTtlSeconds", { valueAsNumber: true })}
            />
          </Field>
        </div>
      </section>

      <section className="stack" aria-labelledby="rulesets-heading">
        <div className="section-head">
          <h2 id="rulesets-heading">Rulesets</h2>
          <p className="muted">
            A workflow gets a token when at least one ruleset matches its ID token; it gets the combined access of every ruleset that
            matches. {fields.length} of {MAX_RULESETS} used.
          </p>
        </div>
        <GroupedWarnings groups={groups} />
        {fields.map((field, i) => {
          const r = rulesets[i] ?? field;
          return (
            <RulesetEditor
              key={field.id}
              index={i}
              count={fields.length}
              labels={rulesets.map((x) => x.label)}
              warnings={perRuleset[i] ?? []}
              knownOwnerId={knownOwnerIdFor(r.subject, org)}
              orgOwner={{ owner: org.githubOwner ?? org.slug, ownerId: org.githubOwnerId }}
              errorAt={errorAt}
              repositories={repositories}
              owner={exampleOwner(r.subject, org.githubOwner ?? org.slug, org.githubOwnerId, r.resources[0])}
              onRemove={() => remove(i)}
              onMove={(delta) => move(i, i + delta)}
            />
          );
        })}
        {listError && (
          <p className="field-error" role="alert">
            {listError}
          </p>
        )}
        <div className="add-ruleset">
          <button
            type="button"
            className="btn btn-secondary"
            disabled={full}
            aria-describedby="ruleset-limit"
            onClick={() => append({ ...emptyRuleset(fields.length), key: newKey() }, { shouldFocus: false })}
          >
            + Add ruleset
          </button>
          <span id="ruleset-limit" className="muted">
            {full ? `A connection can have at most ${MAX_RULESETS} rulesets.` : `Up to ${MAX_RULESETS} rulesets.`}
          </span>
        </div>
      </section>
    </div>
  );
}
