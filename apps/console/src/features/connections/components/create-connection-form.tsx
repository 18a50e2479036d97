import { lintRulesets, type OrgPolicySettings } from "@oidc/shared";
import { useEffect, useMemo, useRef, useState } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { ErrorMessage } from "../../../components/errors/error-view";
import { Alert, Spinner } from "../../../components/ui/status";
import { useToast } from "../../../components/ui/toast";
import { isApiError } from "../../../lib/api-client";
import { type ServerIssue, serverIssues, withServerIssues } from "../../../lib/form";
import { type ConnectionCreateBody, useCreateConnection } from "../api/create-connection";
import { useDevIssuer } from "../api/dev-issuer";
import { useRepositories } from "../api/get-repositories";
import { type ConnectionDraft, createResolver, emptyDraft } from "../lib/draft";
import { knownOwner } from "../lib/examples";
import { ConnectionForm, type OrgInfo } from "./connection-form";
import { ConnectionReview } from "./connection-review";
import { UnsavedChangesGuard } from "./unsaved-changes-guard";

/** Step 1: the form; Next validates with the shared schema and shows the review; Confirm creates. */
export function CreateConnectionForm({
  org,
  policy,
  onCreated,
  onCancel,
}: {
  org: OrgInfo;
  /** The org's policy (SPEC §11), checked at the fields as you type; undefined while it loads. */
  policy: OrgPolicySettings | undefined;
  onCreated: (id: string) => void;
  onCancel: () => void;
}) {
  /** The server's field issues from the last Confirm; each holds until its field is edited. */
  const issues = useRef<ServerIssue[]>([]);
  const resolver = useMemo(() => withServerIssues(createResolver, () => issues.current), []);
  const form = useForm<ConnectionDraft, unknown, ConnectionCreateBody>({ defaultValues: emptyDraft(), resolver });
  const { isDirty, isSubmitted, errors } = form.formState;
  /** The body checked by Next, which Confirm sends; null while on the form. */
  const [body, setBody] = useState<ConnectionCreateBody | null>(null);
  const step = body ? "review" : "form";
  /** Set when the server refused Confirm: back on the form, its errors are shown and the first one focused. */
  const [refused, setRefused] = useState(false);
  const repositories = useRepositories(org.slug);
  const devIssuer = useDevIssuer();
  const create = useCreateConnection(org.slug);
  const toast = useToast();
  const heading = useRef<HTMLHeadingElement>(null);
  const dirty = isDirty && !create.isSuccess;

  useEffect(() => {
    heading.current?.focus();
  }, [step]);
  // Declared after the step effect, so that focusing a field with an error wins over the heading.
  const { trigger } = form;
  useEffect(() => {
    if (step === "form" && refused) void trigger(undefined, { shouldFocus: true });
  }, [step, refused, trigger]);
  // Leave only after the guard has re-rendered without unsaved changes.
  const createdId = create.data?.id;
  useEffect(() => {
    if (createdId) onCreated(createdId);
  }, [createdId, onCreated]);

  if (repositories.isPending) return <Spinner label="Loading repositories…" />;
  if (repositories.isError) return <ErrorMessage error={repositories.error} onRetry={() => repositories.refetch()} />;

  const confirm = () => {
    if (!body) return;
    create.mutate(body, {
      onSuccess: (created) => toast.show(`Created “${created.name}”`),
      onError: (error) => {
        if (isApiError(error) && error.issues.length) {
          issues.current = serverIssues(error.issues, form.getValues());
          setRefused(true);
          setBody(null);
        }
      },
    });
  };

  return (
    <div className="stack-lg">
      <UnsavedChangesGuard when={dirty && !create.isPending} />
      <ol className="steps" aria-label="Steps">
        <li aria-current={step === "form" ? "step" : undefined}>1. Configure</li>
        <li aria-current={step === "review" ? "step" : undefined}>2. Review and create</li>
      </ol>
      <h2 ref={heading} tabIndex={-1} className="visually-hidden">
        {step === "form" ? "Configure the connection" : "Review the connection"}
      </h2>
      {step === "form" ? (
        <FormProvider {...form}>
          <form
            noValidate
            onSubmit={form.handleSubmit((parsed) => {
              setRefused(false);
              setBody(parsed);
            })}
            className="stack-lg"
          >
            {isSubmitted && Object.keys(errors).length > 0 && (
              <Alert tone="error" title="Some fields need attention">
                <p>Fix the fields marked below, then continue.</p>
              </Alert>
            )}
            <ConnectionForm devIssuer={devIssuer.data?.issuer} repositories={repositories.data.items} org={org} policy={policy} />
            <div className="form-actions">
              <button type="button" className="btn btn-ghost" onClick={onCancel}>
                Cancel
              </button>
              <button type="submit" className="btn btn-primary">
                Next: review
              </button>
            </div>
          </form>
        </FormProvider>
      ) : (
        <div className="stack-lg">
          <ConnectionReview draft={form.getValues()} warnings={lintRulesets(form.getValues().rulesets, knownOwner(org))} owner={org} />
          {create.error && !(isApiError(create.error) && create.error.issues.length) && (
            <Alert tone="error" title="Could not create the connection">
              <p>{create.error.message}</p>
            </Alert>
          )}
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setBody(null)}>
              Back
            </button>
            <button type="button" className="btn btn-primary" onClick={confirm} disabled={create.isPending}>
              {create.isPending ? "Creating…" : "Confirm and create"}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
