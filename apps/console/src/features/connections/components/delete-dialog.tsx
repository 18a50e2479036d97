import { useState } from "react";
import { Dialog } from "../../../components/ui/dialog";
import { Field } from "../../../components/ui/field";
import { useToast } from "../../../components/ui/toast";
import { useDeleteConnection } from "../api/delete-connection";

/** Deleting asks for the connection's name, typed exactly. */
export function DeleteDialog({
  org,
  connection,
  onClose,
  onDeleted,
}: {
  org: string;
  connection: { id: string; name: string } | null;
  onClose: () => void;
  onDeleted?: () => void;
}) {
  const [typed, setTyped] = useState("");
  const mutation = useDeleteConnection(org);
  const toast = useToast();
  const close = () => {
    setTyped("");
    mutation.reset();
    onClose();
  };
  const matches = connection !== null && typed === connection.name;
  return (
    <Dialog
      open={connection !== null}
      title={`Delete “${connection?.name}”?`}
      tone="danger"
      onClose={close}
      actions={
        <>
          <button type="button" className="btn btn-secondary" onClick={close}>
            Cancel
          </button>
          <button type="submit" form="delete-form" className="btn btn-danger" disabled={!matches || mutation.isPending}>
            {mutation.isPending ? "Deleting…" : "Delete connection"}
          </button>
        </>
      }
    >
      <form
        id="delete-form"
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (!connection || !matches) return;
          mutation.mutate(connection.id, {
            onSuccess: () => {
              toast.show(`Deleted “${connection.name}”`);
              setTyped("");
              onDeleted?.();
              onClose();
            },
          });
        }}
      >
        <p>
          Workflows using this connection ID will be refused from now on. Its rulesets are deleted; its activity stays in the audit log.
          This cannot be undone.
        </p>
        <Field label={`Type “${connection?.name ?? ""}” to confirm`}>
          <input
            className="input"
            value={typed}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setTyped(e.target.value)}
            data-autofocus
          />
        </Field>
        {mutation.error && (
          <p className="field-error" role="alert">
            {mutation.error.message}
          </p>
        )}
      </form>
    </Dialog>
  );
}
