import { useState } from "react";
import { ErrorMessage } from "../../../components/errors/error-view";
import { Dialog } from "../../../components/ui/dialog";
import { EmptyState, Spinner } from "../../../components/ui/status";
import { useToast } from "../../../components/ui/toast";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { useDeleteApiToken } from "../api/delete-api-token";
import { type ApiTokenItem, useApiTokens } from "../api/get-api-tokens";

function When({ iso, never }: { iso: string | null; never: string }) {
  if (!iso) return <span className="muted">{never}</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {absoluteTime(iso)}
    </time>
  );
}

function LastUsed({ iso }: { iso: string | null }) {
  if (!iso) return <span className="muted">Never</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {relativeTime(iso)}
    </time>
  );
}

/** The org's tokens: role, last use, expiry; owners revoke after a confirmation. */
export function ApiTokensList({ org, canManage }: { org: string; canManage: boolean }) {
  const query = useApiTokens(org);
  const [revoking, setRevoking] = useState<ApiTokenItem | null>(null);
  if (query.isPending) return <Spinner label="Loading API tokens…" />;
  if (query.isError) return <ErrorMessage error={query.error} onRetry={() => void query.refetch()} />;
  const items = query.data.items;
  if (!items.length)
    return (
      <EmptyState title="No API tokens">
        <p>{canManage ? "Create one to manage connections from scripts and CI." : "Owners of this organisation can create them."}</p>
      </EmptyState>
    );
  return (
    <>
      <div className="table-wrap">
        <table className="table" aria-label="API tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">Created</th>
              {canManage && (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {items.map((t) => {
              const expired = t.expiresAt !== null && Date.parse(t.expiresAt) <= Date.now();
              return (
                <tr key={t.id}>
                  <td data-label="Name">
                    {t.name}
                    <p className="row-desc">
                      <code>{t.prefix}…</code>
                    </p>
                  </td>
                  <td data-label="Role">{t.role === "owner" ? "Owner" : "Member (read only)"}</td>
                  <td data-label="Last used">
                    <LastUsed iso={t.lastUsedAt} />
                  </td>
                  <td data-label="Expires">
                    {expired ? <span className="badge badge-inactive">Expired</span> : <When iso={t.expiresAt} never="Never" />}
                  </td>
                  <td data-label="Created">
                    <When iso={t.createdAt} never="" />
                    {t.createdBy && <p className="row-desc">by {t.createdBy.name}</p>}
                  </td>
                  {canManage && (
                    <td>
                      <button type="button" className="btn btn-ghost btn-sm" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>
                        Revoke
                      </button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <RevokeDialog org={org} token={revoking} onClose={() => setRevoking(null)} />
    </>
  );
}

function RevokeDialog({ org, token, onClose }: { org: string; token: ApiTokenItem | null; onClose: () => void }) {
  const mutation = useDeleteApiToken(org);
  const toast = useToast();
  const close = () => {
    mutation.reset();
    onClose();
  };
  return (
    <Dialog
      open={token !== null}
      title={`Revoke “${token?.name}”?`}
      tone="danger"
      onClose={close}
      actions={
        <>
          <button type="button" className="btn btn-secondary" onClick={close} data-autofocus>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-danger"
            disabled={mutation.isPending}
            onClick={() => {
              if (!token) return;
              mutation.mutate(token.id, {
                onSuccess: () => {
                  toast.show(`Revoked “${token.name}”`);
                  onClose();
                },
              });
            }}
          >
            {mutation.isPending ? "Revoking…" : "Revoke token"}
          </button>
        </>
      }
    >
      <p>Scripts and CI jobs using this token are refused from now on. This cannot be undone.</p>
      {mutation.error && (
        <p className="field-error" role="alert">
          {mutation.error.message}
        </p>
      )}
    </Dialog>
  );
}
