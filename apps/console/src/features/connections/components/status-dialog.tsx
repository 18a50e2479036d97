import type { ConnectionStatus } from "@oidc/shared";
import { Dialog } from "../../../components/ui/dialog";
import { useToast } from "../../../components/ui/toast";
import { useSetConnectionStatus } from "../api/set-connection-status";

/** Confirms deactivating (new exchanges stop, issued tokens are revoked) or activating a connection. */
export function StatusDialog({
  org,
  connection,
  onClose,
}: {
  org: string;
  connection: { id: string; name: string; status: ConnectionStatus } | null;
  onClose: () => void;
}) {
  const mutation = useSetConnectionStatus(org);
  const toast = useToast();
  const deactivating = connection?.status === "active";
  const close = () => {
    mutation.reset();
    onClose();
  };
  return (
    <Dialog
      open={connection !== null}
      title={deactivating ? `Deactivate “${connection?.name}”?` : `Activate “${connection?.name}”?`}
      tone={deactivating ? "danger" : "default"}
      onClose={close}
      actions={
        <>
          <button type="button" className="btn btn-secondary" onClick={close} data-autofocus>
            Cancel
          </button>
          <button
            type="button"
            className={deactivating ? "btn btn-danger" : "btn btn-primary"}
            disabled={mutation.isPending}
            onClick={() => {
              if (!connection) return;
              mutation.mutate(
                { id: connection.id, status: deactivating ? "inactive" : "active" },
                {
                  onSuccess: (c) => {
                    toast.show(`“${c.name}” is now ${c.status === "active" ? "active" : "inactive"}`);
                    close();
                  },
                },
              );
            }}
          >
            {mutation.isPending ? "Working…" : deactivating ? "Deactivate" : "Activate"}
          </button>
        </>
      }
    >
      {deactivating ? (
        <ul className="plain-list stack-sm">
          <li>Workflows can no longer exchange ID tokens through this connection: new exchanges are refused at once.</li>
          <li>Access tokens it has already issued are revoked and stop working.</li>
          <li>The rulesets are kept; you can activate the connection again later.</li>
        </ul>
      ) : (
        <p>Workflows that match its rulesets can exchange ID tokens for access tokens again. Tokens revoked earlier stay revoked.</p>
      )}
      {mutation.error && (
        <p className="field-error" role="alert">
          {mutation.error.message}
        </p>
      )}
    </Dialog>
  );
}
