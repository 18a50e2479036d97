import { lintRulesets } from "@oidc/shared";
import { useEffect, useRef, useState } from "react";
import { ErrorMessage } from "../../../components/errors/error-view";
import { Alert, Spinner } from "../../../components/ui/status";
import { useToast } from "../../../components/ui/toast";
import { isApiError, issuesByPath } from "../../../lib/api-client";
import { useCreateConnection } from "../api/create-connection";
import { useDevIssuer } from "../api/dev-issuer";
import { useOrgPolicy } from "../api/get-org-policy";
import { useRepositories } from "../api/get-repositories";
import { draftFingerprint, emptyDraft, validateCreate } from "../lib/draft";
import { knownOwner } from "../lib/examples";
import { ConnectionForm, type OrgInfo } from "./connection-form";
import { ConnectionReview } from "./connection-review";
import { UnsavedChangesGuard } from "./unsaved-changes-guard";
import { focusFirstInvalid, useConnectionDraft } from "./use-connection-draft";

/** Step 1: the form; Next validates with the shared schema and shows the review; Confirm creates. */
export function CreateConnectionForm({
  org,
  onCreated,
  onCancel,
}: {
  org: OrgInfo;
  onCreated: (id: string) => void;
  onCancel: () => void;
}) {
  const { draft, submitted, setSubmitted, serverErrors, setServerErrors, validation, errors, onChange } = useConnectionDraft(
    emptyDraft,
    validateCreate,
  );
  const [step, setStep] = useState<"form" | "review">("form");
  const initial = useRef(draftFingerprint(draft));
  const repositories = useRepositories(org.slug);
  const policy = useOrgPolicy(org.slug);
  const devIssuer = useDevIssuer();
  const create = useCreateConnection(org.slug);
  const toast = useToast();
  const heading = useRef<HTMLHeadingElement>(null);
  const dirty = draftFingerprint(draft) !== initial.current && !create.isSuccess;

  useEffect(() => {
    heading.current?.focus();
  }, [step]);
  // Declared after the step effect, so that focusing a field with an error wins over the heading.
  const [focusRequest, setFocusRequest] = useState(0);
  useEffect(() => {
    if (focusRequest) focusFirstInvalid();
  }, [focusRequest]);
  // Leave only after the guard has re-rendered without unsaved changes.
  const createdId = create.data?.id;
  useEffect(() => {
    if (createdId) onCreated(createdId);
  }, [createdId, onCreated]);

  if (repositories.isPending) return <Spinner label="Loading repositories…" />;
  if (repositories.isError) return <ErrorMessage error={repositories.error} onRetry={() => repositories.refetch()} />;

  const next = () => {
    setSubmitted(true);
    if (!validation.ok || Object.keys(serverErrors).length) {
      setFocusRequest((n) => n + 1);
      return;
    }
    setStep("review");
  };

  const confirm = () => {
    if (!validation.ok) return;
    create.mutate(validation.body, {
      onSuccess: (created) => toast.show(`Created “${created.name}”`),
      onError: (error) => {
        if (isApiError(error) && error.issues.length) {
          setServerErrors(issuesByPath(error.issues));
          setStep("form");
          setFocusRequest((n) => n + 1);
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
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            next();
          }}
          className="stack-lg"
        >
          {submitted && !validation.ok && (
            <Alert tone="error" title="Some fields need attention">
              <p>Fix the fields marked below, then continue.</p>
            </Alert>
          )}
          <ConnectionForm
            devIssuer={devIssuer.data?.issuer}
            draft={draft}
            errors={errors}
            repositories={repositories.data.items}
            org={org}
            onChange={onChange}
            policy={policy.data}
          />
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={onCancel}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary">
              Next: review
            </button>
          </div>
        </form>
      ) : (
        <div className="stack-lg">
          <ConnectionReview draft={draft} warnings={lintRulesets(draft.rulesets, knownOwner(org))} owner={org} />
          {create.error && !(isApiError(create.error) && create.error.issues.length) && (
            <Alert tone="error" title="Could not create the connection">
              <p>{create.error.message}</p>
            </Alert>
          )}
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setStep("form")}>
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
