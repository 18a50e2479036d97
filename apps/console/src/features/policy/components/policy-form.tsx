import { zodResolver } from "@hookform/resolvers/zod";
import { MAX_TOKEN_TTL, MIN_TOKEN_TTL, type OrgPolicySettings, OrgPolicySettingsSchema, type PolicyRule } from "@oidc/shared";
import { useMemo, useRef, useState } from "react";
import { useForm, useWatch } from "react-hook-form";
import { Link } from "react-router";
import { Field } from "../../../components/ui/field";
import { isApiError } from "../../../lib/api-client";
import { errorMessage, type ServerIssue, serverIssues, withServerIssues } from "../../../lib/form";
import { absoluteTime } from "../../../lib/format";
import { paths } from "../../../lib/paths";
import { usePolicyDryRun } from "../api/dry-run-policy";
import type { Policy } from "../api/get-policy";
import { useUpdatePolicy } from "../api/update-policy";

const RULES: { key: PolicyRule; label: string; hint: string }[] = [
  {
    key: "requireImmutableSubjects",
    label: "Require immutable subjects",
    hint: "Every subject uses the owner@id form (repo:octo-org@1234567/…), or the ruleset has a repository_owner_id condition.",
  },
  {
    key: "requireGateForWrites",
    label: "Require a gate for writes",
    hint: "A ruleset granting push or delete pins a branch or tag, an environment or a reusable workflow (no wildcard there).",
  },
  {
    key: "forbidPullRequestWrites",
    label: "Forbid writes from pull requests",
    hint: "A ruleset granting push or delete cannot match pull-request jobs (…:pull_request).",
  },
];

const settingsOf = (p: Policy): OrgPolicySettings => ({
  requireImmutableSubjects: p.requireImmutableSubjects,
  requireGateForWrites: p.requireGateForWrites,
  forbidPullRequestWrites: p.forbidPullRequestWrites,
  maxTokenTtlSeconds: p.maxTokenTtlSeconds,
});

/** The organisation policy (SPEC §11): owners edit, members read; each setting says which connections it would flag. */
export function PolicyForm({ org, policy, canManage }: { org: string; policy: Policy; canManage: boolean }) {
  // A policy saved elsewhere (or by this form) becomes the new starting point: `values` resets the form.
  const values = useMemo(() => settingsOf(policy), [policy]);
  const issues = useRef<ServerIssue[]>([]);
  const resolver = useMemo(() => withServerIssues(zodResolver(OrgPolicySettingsSchema), () => issues.current), []);
  const form = useForm<OrgPolicySettings>({ values, resolver });
  const {
    register,
    control,
    formState: { errors, isDirty: changed },
  } = form;
  const [saved, setSaved] = useState(false);
  const update = useUpdatePolicy(org);
  const draft = useWatch({ control }) as OrgPolicySettings;
  const parsed = OrgPolicySettingsSchema.safeParse(draft);
  const dryRun = usePolicyDryRun(org, parsed.success ? parsed.data : values);
  const flaggedBy = (rule: PolicyRule) =>
    (dryRun.data?.flagged ?? []).filter((c) => c.violations.some((v) => v.setting === rule)).map((c) => ({ id: c.id, name: c.name }));

  return (
    <form
      className="stack-lg"
      noValidate
      onSubmit={form.handleSubmit((settings) => {
        issues.current = [];
        setSaved(false);
        update.mutate(
          { version: policy.version, settings },
          {
            onSuccess: () => setSaved(true),
            onError: (error) => {
              if (!isApiError(error) || !error.issues.length) return;
              issues.current = serverIssues(error.issues, form.getValues());
              void form.trigger(undefined, { shouldFocus: true });
            },
          },
        );
      })}
    >
      <section className="card stack" aria-labelledby="rules-heading">
        <h2 id="rules-heading" className="card-title">
          Rules for rulesets
        </h2>
        <p className="muted">
          Creating or editing a connection that breaks an active rule is refused, with what to write instead. Connections saved before a
          rule was switched on are flagged in the list and on their page.
        </p>
        {RULES.map((rule) => {
          const flagged = flaggedBy(rule.key);
          return (
            <div key={rule.key} className="stack">
              <label className="checkbox">
                <input type="checkbox" disabled={!canManage} {...register(rule.key)} />
                <span>{rule.label}</span>
              </label>
              <p className="field-hint">{rule.hint}</p>
              {draft[rule.key] && (
                <p className={flagged.length ? "field-error" : "muted"} aria-live="polite">
                  {flagged.length === 0 ? (
                    "No connection breaks this rule."
                  ) : (
                    <>
                      Would flag {flagged.length} connection{flagged.length === 1 ? "" : "s"}:{" "}
                      {flagged.map((c, i) => (
                        <span key={c.id}>
                          {i > 0 && ", "}
                          <Link to={paths.connection(org, c.id)}>{c.name}</Link>
                        </span>
                      ))}
                    </>
                  )}
                </p>
              )}
            </div>
          );
        })}
      </section>

      <section className="card stack" aria-labelledby="ttl-heading">
        <h2 id="ttl-heading" className="card-title">
          Token lifetime
        </h2>
        <Field
          label="Maximum access token lifetime (seconds)"
          hint={`${MIN_TOKEN_TTL}–${MAX_TOKEN_TTL}. Caps every connection at exchange time: a token lives at most the lower of this and its connection's limit.`}
          error={errorMessage(errors, "maxTokenTtlSeconds")}
        >
          <input
            className="input"
            type="number"
            min={MIN_TOKEN_TTL}
            max={MAX_TOKEN_TTL}
            step={60}
            disabled={!canManage}
            {...register("maxTokenTtlSeconds", { valueAsNumber: true })}
          />
        </Field>
        {dryRun.data && dryRun.data.capped.length > 0 && (
          <p className="muted" aria-live="polite">
            Would shorten the tokens of {dryRun.data.capped.map((c) => `${c.name} (${c.maxTokenTtlSeconds} s)`).join(", ")}.
          </p>
        )}
      </section>

      {policy.updatedAt && (
        <p className="muted">
          Last changed {absoluteTime(policy.updatedAt)}
          {policy.updatedBy ? ` by ${policy.updatedBy.email}` : ""} (version {policy.version}).
        </p>
      )}
      {canManage ? (
        <div className="inline-actions">
          <button type="submit" className="btn btn-primary" disabled={!changed || update.isPending}>
            {update.isPending ? "Saving…" : "Save policy"}
          </button>
          <button type="button" className="btn btn-ghost" disabled={!changed} onClick={() => form.reset(values)}>
            Discard changes
          </button>
          {saved && !changed && (
            <span role="status" className="muted">
              Policy saved.
            </span>
          )}
        </div>
      ) : (
        <p className="muted">Only owners of this organisation can change its policy.</p>
      )}
      {update.error && !(isApiError(update.error) && update.error.issues.length) && (
        <p className="field-error" role="alert">
          {isApiError(update.error, 412)
            ? "Someone else changed the policy in the meantime: reload the page to see their version, then apply your change again."
            : update.error.message}
        </p>
      )}
    </form>
  );
}
