import { useState } from "react";
import { Link } from "react-router";
import { StatusBadge } from "../../../components/ui/status";
import { paths } from "../../../lib/paths";
import type { Connection } from "../api/get-connection";
import { DeleteDialog } from "./delete-dialog";
import { StatusDialog } from "./status-dialog";

/** Name, status and — for owners — Edit, Deactivate/Activate and Delete. */
export function ConnectionHeader({
  org,
  connection,
  canManage,
  onDeleted,
}: {
  org: string;
  connection: Connection;
  canManage: boolean;
  onDeleted: () => void;
}) {
  const [statusOpen, setStatusOpen] = useState(false);
  const [deleteOpen, setDeleteOpen] = useState(false);
  return (
    <div className="page-head">
      <div className="page-title-row">
        <h1>{connection.name}</h1>
        <StatusBadge status={connection.status} />
      </div>
      {canManage ? (
        <div className="inline-actions">
          <Link to={paths.editConnection(org, connection.id)} className="btn btn-secondary">
            Edit
          </Link>
          <button type="button" className="btn btn-secondary" onClick={() => setStatusOpen(true)}>
            {connection.status === "active" ? "Deactivate" : "Activate"}
          </button>
          <button type="button" className="btn btn-danger-ghost" onClick={() => setDeleteOpen(true)}>
            Delete
          </button>
        </div>
      ) : (
        <p className="muted">Read-only: only organisation owners can change connections.</p>
      )}
      <StatusDialog org={org} connection={statusOpen ? connection : null} onClose={() => setStatusOpen(false)} />
      <DeleteDialog org={org} connection={deleteOpen ? connection : null} onClose={() => setDeleteOpen(false)} onDeleted={onDeleted} />
    </div>
  );
}
