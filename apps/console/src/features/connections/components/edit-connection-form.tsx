import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { ErrorMessage } from "../../../components/errors/error-view";
import { Alert, Spinner } from "../../../components/ui/status";
import { useToast } from "../../../components/ui/toast";
import { isApiError, issuesByPath } from "../../../lib/api-client";
import { type Connection, getConnection } from "../api/get-connection";
import { useRepositories } from "../api/get-repositories";
import { connectionKeys } from "../api/keys";
import { useUpdateConnection } from "../api/update-connection";
import { draftFingerprint, draftFromConnection, validatePatch } from "../lib/draft";
import { ConnectionForm, type OrgInfo } from "./connection-form";
import { UnsavedChangesGuard } from "./unsaved-changes-guard";
import { focusFirstInvalid, useConnectionDraft } from "./use-connection-draft";

/**
 * Edits name, description, lifetime and rulesets. Saves with If-Match on the version the form was
 * loaded from; a 412 (someone else saved first) is explained, with a way to reload — never overwritten.
 */
export function EditConnectionForm({ org, connection, onDone }: { org: OrgInfo; connection: Connection; onDone: () => void }) {
  const [base, setBase] = useState(connection);
  const { draft, setDraft, submitted, setSubmitted, setServerErrors, validation, errors, onChange } = useConnectionDraft(
    () => draftFromConnection(connection),
    validatePatch,
  );
  const [conflict, setConflict] = useState(false);
  const [reloading, setReloading] = useState(false);
  const conflictRef = useRef<HTMLDivElement>(null);
  const repositories = useRepositories(org.slug);
  const update = useUpdateConnection(org.slug, connection.id);
  const queryClient = useQueryClient();
  const toast = useToast();
  const dirty = draftFingerprint(draft) !== draftFingerprint(draftFromConnection(base));
  const [saved, setSaved] = useState(false);

  const [focusRequest, setFocusRequest] = useState(0);
  useEffect(() => {
    if (focusRequest) focusFirstInvalid();
  }, [focusRequest]);
  useEffect(() => {
    if (conflict) conflictRef.current?.focus();
  }, [conflict]);
  // Leave only after the guard has re-rendered without unsaved changes.
  useEffect(() => {
    if (saved) onDone();
  }, [saved, onDone]);

  if (repositories.isPending) return <Spinner label="Loading repositories…" />;
  if (repositories.isError) return <ErrorMessage error={repositories.error} onRetry={() => repositories.refetch()} />;

  const reload = async () => {
    setReloading(true);
    try {
      const latest = await queryClient.fetchQuery({
        queryKey: connectionKeys.detail(org.slug, connection.id),
        queryFn: () => getConnection(org.slug, connection.id),
        staleTime: 0,
      });
      setBase(latest);
      setDraft(draftFromConnection(latest));
      setServerErrors({});
      setSubmitted(false);
      setConflict(false);
      update.reset();
      toast.show("Loaded the latest version", "info");
    } finally {
      setReloading(false);
    }
  };

  const save = () => {
    setSubmitted(true);
    if (!validation.ok) {
      setFocusRequest((n) => n + 1);
      return;
    }
    update.mutate(
      { version: base.version, body: validation.body },
      {
        onSuccess: (updated) => {
          setSaved(true);
          toast.show(`Saved “${updated.name}”`);
        },
        onError: (error) => {
          if (isApiError(error, 412)) {
            setConflict(true);
          } else if (isApiError(error) && error.issues.length) {
            setServerErrors(issuesByPath(error.issues));
            setFocusRequest((n) => n + 1);
          }
        },
      },
    );
  };

  return (
    <form
      noValidate
      className="stack-lg"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <UnsavedChangesGuard when={dirty && !saved && !update.isPending} />
      {conflict && (
        <div ref={conflictRef} tabIndex={-1} className="alert alert-error" role="alert">
          <p className="alert-title">Someone else changed this connection</p>
          <p>
            It was saved by someone else while you were editing, so your changes were <strong>not</strong> saved. Reload to see the latest
            version, then apply your changes again.
          </p>
          <div className="inline-actions">
            <button type="button" className="btn btn-primary btn-sm" onClick={reload} disabled={reloading}>
              {reloading ? "Reloading…" : "Reload latest version"}
            </button>
          </div>
        </div>
      )}
      {update.error && !conflict && !(isApiError(update.error) && update.error.issues.length) && (
        <Alert tone="error" title="Could not save">
          <p>{update.error.message}</p>
        </Alert>
      )}
      {submitted && !validation.ok && (
        <Alert tone="error" title="Some fields need attention">
          <p>Fix the fields marked below, then save.</p>
        </Alert>
      )}
      <ConnectionForm editing draft={draft} errors={errors} repositories={repositories.data.items} org={org} onChange={onChange} />
      <div className="form-actions">
        <button type="button" className="btn btn-ghost" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={update.isPending || !dirty}>
          {update.isPending ? "Saving…" : "Save changes"}
        </button>
      </div>
    </form>
  );
}
