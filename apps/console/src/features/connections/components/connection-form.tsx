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
import { Field } from "../../../components/ui/field";
import { type ConnectionDraft, emptyRuleset, type FieldErrors, newKey, type RulesetDraft } from "../lib/draft";
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
  draft: ConnectionDraft;
  errors: FieldErrors;
  repositories: { name: string; fullName: string }[];
  org: OrgInfo;
  /** `field` is the dotted path that changed, so its server error can be cleared. */
  onChange: (draft: ConnectionDraft, field: string) => void;
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

/** Name, description, type and 1–5 rulesets; used by create and edit alike. */
export function ConnectionForm({ draft, errors: fieldErrors, repositories, org, onChange, editing = false, devIssuer, policy }: Props) {
  const { githubOwner, githubOwnerId } = org;
  const errors = useMemo(() => {
    if (!policy) return fieldErrors;
    const typed = draft.rulesets.map((r) => ({ ...r, subject: r.subject.trim() }));
    const fromPolicy: FieldErrors = {};
    for (const v of checkPolicy(policy, typed, { ownerId: githubOwnerId })) {
      const key = v.path.join(".");
      if (typed[Number(v.path[1])]?.subject && !(key in fromPolicy)) fromPolicy[key] = v.message;
    }
    return { ...fromPolicy, ...fieldErrors };
  }, [policy, draft.rulesets, fieldErrors, githubOwnerId]);
  const { groups, perRuleset } = useMemo(() => {
    const warnings = safeLints(draft.rulesets, { githubOwner, githubOwnerId });
    return groupWarnings(
      warnings,
      draft.rulesets.map((r, i) => r.label || `Ruleset ${i + 1}`),
      { githubOwner, githubOwnerId },
    );
  }, [draft.rulesets, githubOwner, githubOwnerId]);
  const set = (patch: Partial<ConnectionDraft>, field: string) => onChange({ ...draft, ...patch }, field);
  const setRuleset = (index: number, patch: Partial<RulesetDraft>, field: string) =>
    set({ rulesets: draft.rulesets.map((r, i) => (i === index ? { ...r, ...patch } : r)) }, `rulesets.${index}.${field}`);
  const full = draft.rulesets.length >= MAX_RULESETS;
  const listError = errors.rulesets ?? errors[`rulesets.${MAX_RULESETS}`];
  return (
    <div className="stack-lg">
      <section className="card stack" aria-labelledby="details-heading">
        <h2 id="details-heading" className="card-title">
          Details
        </h2>
        <Field label="Name" hint="Unique in this organisation, e.g. “Publish from main”." error={errors.name}>
          <input className="input" value={draft.name} maxLength={100} onChange={(e) => set({ name: e.target.value }, "name")} />
        </Field>
        <Field label="Description (optional)" error={errors.description}>
          <textarea
            className="input"
            rows={2}
            maxLength={500}
            value={draft.description}
            onChange={(e) => set({ description: e.target.value }, "description")}
          />
        </Field>
        <div className="grid-2">
          <Field label="Connection type" hint={editing ? "The type cannot change." : "Where the workflows run."} error={errors.type}>
            <select className="input" value={draft.type} disabled={editing} onChange={() => set({ type: "github-actions" }, "type")}>
              <option value="github-actions">GitHub Actions</option>
            </select>
          </Field>
          {devIssuer && !editing && (
            <Field
              label="Issuer"
              hint="Who signs the ID tokens. The development issuer is for trying the flow offline."
              error={errors.issuer}
            >
              <select className="input" value={draft.issuer ?? ""} onChange={(e) => set({ issuer: e.target.value || undefined }, "issuer")}>
                <option value="">GitHub Actions ({GITHUB_ACTIONS_ISSUER})</option>
                <option value={devIssuer}>Development issuer ({devIssuer})</option>
              </select>
            </Field>
          )}
          <Field
            label="Maximum token lifetime (seconds)"
            hint={`${MIN_TOKEN_TTL}–${MAX_TOKEN_TTL}; workflows may ask for less.`}
            error={errors.maxTokenTtlSeconds}
          >
            <input
              className="input"
              type="number"
              inputMode="numeric"
              min={MIN_TOKEN_TTL}
              max={MAX_TOKEN_TTL}
              step={60}
              value={Number.isNaN(draft.maxTokenTtlSeconds) ? "" : draft.maxTokenTtlSeconds}
              onChange={(e) => set({ maxTokenTtlSeconds: e.target.valueAsNumber }, "maxTokenTtlSeconds")}
            />
          </Field>
        </div>
      </section>

      <section className="stack" aria-labelledby="rulesets-heading">
        <div className="section-head">
          <h2 id="rulesets-heading">Rulesets</h2>
          <p className="muted">
            A workflow gets a token when at least one ruleset matches its ID token; it gets the combined access of every ruleset that
            matches. {draft.rulesets.length} of {MAX_RULESETS} used.
          </p>
        </div>
        <GroupedWarnings groups={groups} />
        {draft.rulesets.map((r, i) => (
          <RulesetEditor
            key={r.key}
            index={i}
            count={draft.rulesets.length}
            ruleset={r}
            warnings={perRuleset[i] ?? []}
            knownOwnerId={knownOwnerIdFor(r.subject, org)}
            orgOwner={{ owner: org.githubOwner ?? org.slug, ownerId: org.githubOwnerId }}
            errors={errors}
            repositories={repositories}
            owner={exampleOwner(r.subject, org.githubOwner ?? org.slug, org.githubOwnerId, r.resources[0])}
            onChange={(patch, field) => setRuleset(i, patch, field)}
            onRemove={() => set({ rulesets: draft.rulesets.filter((_, j) => j !== i) }, "rulesets")}
            onMove={(delta) => {
              const list = [...draft.rulesets];
              const [moved] = list.splice(i, 1);
              if (moved) list.splice(i + delta, 0, moved);
              set({ rulesets: list }, "rulesets");
            }}
          />
        ))}
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
            onClick={() => set({ rulesets: [...draft.rulesets, { ...emptyRuleset(draft.rulesets.length), key: newKey() }] }, "rulesets")}
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
