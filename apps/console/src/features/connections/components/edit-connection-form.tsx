import type { OrgPolicySettings } from "@oidc/shared";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { ErrorMessage } from "../../../components/errors/error-view";
import { Alert, Spinner } from "../../../components/ui/status";
import { useToast } from "../../../components/ui/toast";
import { isApiError } from "../../../lib/api-client";
import { type ServerIssue, serverIssues, withServerIssues } from "../../../lib/form";
import { relativeTime } from "../../../lib/format";
import { type Connection, connectionQueryOptions } from "../api/get-connection";
import { useRepositories } from "../api/get-repositories";
import { type ConnectionPatchBody, useUpdateConnection } from "../api/update-connection";
import { type ConnectionDraft, draftFromConnection, patchResolver } from "../lib/draft";
import { personLabel } from "../lib/person";
import { describeChanges, rebaseDraft } from "../lib/rebase";
import { ConnectionForm, type OrgInfo } from "./connection-form";
import { UnsavedChangesGuard } from "./unsaved-changes-guard";

/**
 * Edits name, description, lifetime and rulesets. Saves with If-Match on the version the form was
 * loaded from; a 412 (someone else saved first) is never overwritten: the form shows what the other
 * person changed and offers to re-apply the draft on top of the latest version (or to discard it).
 */
export function EditConnectionForm({
  org,
  connection,
  policy,
  onDone,
}: {
  org: OrgInfo;
  connection: Connection;
  /** The org's policy (SPEC §11), checked at the fields as you type; undefined while it loads. */
  policy: OrgPolicySettings | undefined;
  onDone: () => void;
}) {
  const [base, setBase] = useState(connection);
  /** The server's field issues from the last save; each holds until its field is edited. */
  const issues = useRef<ServerIssue[]>([]);
  const resolver = useMemo(() => withServerIssues(patchResolver, () => issues.current), []);
  const form = useForm<ConnectionDraft, unknown, ConnectionPatchBody>({ defaultValues: draftFromConnection(connection), resolver });
  const [conflict, setConflict] = useState(false);
  /** The version saved meanwhile (when it could be read), for "what they changed" and the re-apply. */
  const [latest, setLatest] = useState<Connection | null>(null);
  /** After a re-apply: the version it is on, and the fields both people changed. */
  const [rebased, setRebased] = useState<{ version: number; overlaps: string[] } | null>(null);
  const [reloading, setReloading] = useState(false);
  const conflictRef = useRef<HTMLDivElement>(null);
  const repositories = useRepositories(org.slug);
  const update = useUpdateConnection(org.slug, connection.id);
  const queryClient = useQueryClient();
  const toast = useToast();
  const { isDirty: dirty, isSubmitted, errors } = form.formState;
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    if (conflict) conflictRef.current?.focus();
  }, [conflict]);
  // Leave only after the guard has re-rendered without unsaved changes.
  useEffect(() => {
    if (saved) onDone();
  }, [saved, onDone]);

  if (repositories.isPending) return <Spinner label="Loading repositories…" />;
  if (repositories.isError) return <ErrorMessage error={repositories.error} onRetry={() => repositories.refetch()} />;

  const fetchLatest = () => queryClient.fetchQuery({ ...connectionQueryOptions(org.slug, connection.id), staleTime: 0 });

  /** The form now starts from `next` (the latest version): Save sends its version; `draft` is what the fields hold. */
  const startOver = (next: Connection, draft?: ConnectionDraft) => {
    setBase(next);
    issues.current = [];
    form.reset(draftFromConnection(next));
    if (draft) form.reset(draft, { keepDefaultValues: true });
    setConflict(false);
    setLatest(null);
    update.reset();
  };

  const reload = async () => {
    setReloading(true);
    try {
      const next = await fetchLatest();
      startOver(next);
      setRebased(null);
      toast.show("Loaded the latest version", "info");
    } finally {
      setReloading(false);
    }
  };

  const reapply = async () => {
    setReloading(true);
    try {
      const next = await fetchLatest();
      const result = rebaseDraft(draftFromConnection(base), form.getValues(), draftFromConnection(next));
      startOver(next, result.draft);
      setRebased({ version: next.version, overlaps: result.overlaps });
    } finally {
      setReloading(false);
    }
  };

  const save = (body: ConnectionPatchBody) => {
    update.mutate(
      { version: base.version, body },
      {
        onSuccess: (updated) => {
          setSaved(true);
          toast.show(`Saved “${updated.name}”`);
        },
        onError: (error) => {
          if (isApiError(error, 412)) {
            setConflict(true);
            setRebased(null);
            fetchLatest().then(setLatest, () => setLatest(null));
          } else if (isApiError(error) && error.issues.length) {
            issues.current = serverIssues(error.issues, form.getValues());
            void form.trigger(undefined, { shouldFocus: true });
          }
        },
      },
    );
  };

  return (
    <FormProvider {...form}>
      <form noValidate className="stack-lg" onSubmit={form.handleSubmit(save)}>
        <UnsavedChangesGuard when={dirty && !saved && !update.isPending} />
        {conflict && (
          <div ref={conflictRef} tabIndex={-1} className="alert alert-error stack-sm" role="alert">
            <p className="alert-title">Someone else changed this connection</p>
            <p>
              {latest
                ? `${personLabel(latest.updatedBy)} saved version ${latest.version} (${relativeTime(latest.updatedAt)}) while you were editing, so your changes were `
                : "It was saved by someone else while you were editing, so your changes were "}
              <strong>not</strong> saved. Your draft is still here.
            </p>
            {latest && (
              <>
                <p>What they changed:</p>
                <ul aria-label="Changes by the other person">
                  {[
                    ...describeChanges(draftFromConnection(base), draftFromConnection(latest)),
                    ...(latest.status !== base.status ? [`Status: ${base.status} → ${latest.status}`] : []),
                  ].map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
              </>
            )}
            <div className="inline-actions">
              <button type="button" className="btn btn-primary btn-sm" onClick={reapply} disabled={reloading}>
                Re-apply my changes to the latest version
              </button>
              <button type="button" className="btn btn-secondary btn-sm" onClick={reload} disabled={reloading}>
                {reloading ? "Loading…" : "Discard my changes and load the latest version"}
              </button>
            </div>
          </div>
        )}
        {rebased && (
          <Alert tone="info" title={`Your changes are now on version ${rebased.version}`}>
            <p>Review them below, then save.</p>
            {rebased.overlaps.length > 0 && (
              <>
                <p>You both changed these; yours are kept:</p>
                <ul>
                  {rebased.overlaps.map((o) => (
                    <li key={o}>{o}</li>
                  ))}
                </ul>
              </>
            )}
          </Alert>
        )}
        {update.error && !conflict && !(isApiError(update.error) && update.error.issues.length) && (
          <Alert tone="error" title="Could not save">
            <p>{update.error.message}</p>
          </Alert>
        )}
        {isSubmitted && Object.keys(errors).length > 0 && (
          <Alert tone="error" title="Some fields need attention">
            <p>Fix the fields marked below, then save.</p>
          </Alert>
        )}
        <ConnectionForm editing repositories={repositories.data.items} org={org} policy={policy} />
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" onClick={onDone}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={update.isPending || !dirty}>
            {update.isPending ? "Saving…" : "Save changes"}
          </button>
        </div>
      </form>
    </FormProvider>
  );
}
