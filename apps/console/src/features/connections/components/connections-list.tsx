import { type MouseEvent, memo, useEffect, useMemo, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { ErrorMessage } from "../../../components/errors/error-view";
import { writeClipboard } from "../../../components/ui/copy-button";
import { Menu } from "../../../components/ui/menu";
import { EmptyState, Spinner, StatusBadge } from "../../../components/ui/status";
import { useToast } from "../../../components/ui/toast";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { paths } from "../../../lib/paths";
import { type ConnectionSummary, useConnections } from "../api/get-connections";
import { statusFilterOf } from "../api/keys";
import { DeleteDialog } from "./delete-dialog";
import { StatusDialog } from "./status-dialog";

function When({ iso, never = "Never" }: { iso: string | null; never?: string }) {
  if (!iso) return <span className="muted">{never}</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {relativeTime(iso)}
    </time>
  );
}

/** What a row does, made once by the list: rows do not each ask the router and the toasts for them. */
interface RowActions {
  /** Follows the row's link in the app (as `<Link>` would); other clicks are the browser's (new tab, …). */
  open: (event: MouseEvent<HTMLAnchorElement>) => void;
  edit: (c: ConnectionSummary) => void;
  copyId: (c: ConnectionSummary) => void;
  setStatus: (c: ConnectionSummary) => void;
  remove: (c: ConnectionSummary) => void;
}

/**
 * One row; memoised so that loading another page renders only the new rows. The name is a plain
 * `<a>` with the list's click handler rather than a `<Link>`: a hundred Links (each resolving its
 * path against the route matches) were a good share of the time to the first rows.
 */
const ConnectionRow = memo(function ConnectionRow({
  org,
  connection: c,
  canManage,
  actions,
}: {
  org: string;
  connection: ConnectionSummary;
  canManage: boolean;
  actions: RowActions;
}) {
  return (
    <tr>
      <td data-label="Name">
        <a href={paths.connection(org, c.id)} className="row-link" onClick={actions.open}>
          {c.name}
        </a>
        {c.description && <p className="row-desc">{c.description}</p>}
        {c.policyViolations.length > 0 && (
          <p className="row-desc">
            <span className="badge badge-inactive" title={c.policyViolations.map((v) => v.message).join("\n")}>
              Breaks policy
            </span>
          </p>
        )}
      </td>
      <td data-label="Status">
        <StatusBadge status={c.status} />
      </td>
      <td data-label="Rulesets" className="num">
        {c.rulesetCount}
      </td>
      <td data-label="Last used">
        <When iso={c.lastUsedAt} />
      </td>
      <td data-label="Created">
        <When iso={c.createdAt} />
      </td>
      {canManage && (
        <td className="actions-cell">
          <Menu
            label={`Actions for ${c.name}`}
            items={[
              { label: "Edit", onSelect: () => actions.edit(c) },
              { label: "Copy ID", onSelect: () => actions.copyId(c) },
              { label: c.status === "active" ? "Deactivate" : "Activate", onSelect: () => actions.setStatus(c) },
              { label: "Delete", tone: "danger", onSelect: () => actions.remove(c) },
            ]}
          >
            <span aria-hidden="true">⋯</span>
          </Menu>
        </td>
      )}
    </tr>
  );
});

/** The org's connections: search, status filter, keyset paging ("Show more"), row actions for owners. */
export function ConnectionsList({ org, canManage }: { org: string; canManage: boolean }) {
  const [params, setParams] = useSearchParams();
  // Not the shared zod schema: the list would load zod and every shared schema for one enum check.
  const status = statusFilterOf(params.get("status"));
  // The URL holds what was typed (so a reload or a shared link keeps it); the query follows it 250 ms later.
  // Only typing changes the URL: a timer never navigates, so it cannot cancel a click on a link.
  const search = params.get("q") ?? "";
  const [debounced, setDebounced] = useState(search.trim());
  useEffect(() => {
    const timer = window.setTimeout(() => setDebounced(search.trim()), 250);
    return () => window.clearTimeout(timer);
  }, [search]);
  const setSearch = (value: string) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value) next.set("q", value);
        else next.delete("q");
        return next;
      },
      { replace: true },
    );
  const filters = { status, q: debounced || undefined };
  const query = useConnections(org, filters);
  const [statusTarget, setStatusTarget] = useState<ConnectionSummary | null>(null);
  const [deleteTarget, setDeleteTarget] = useState<ConnectionSummary | null>(null);
  const navigate = useNavigate();
  const toast = useToast();
  const actions = useMemo<RowActions>(
    () => ({
      open: (event) => {
        const plainClick = event.button === 0 && !event.metaKey && !event.altKey && !event.ctrlKey && !event.shiftKey;
        if (!plainClick || event.defaultPrevented) return;
        event.preventDefault();
        const { pathname, search, hash } = event.currentTarget;
        navigate({ pathname, search, hash });
      },
      edit: (c) => navigate(paths.editConnection(org, c.id)),
      copyId: (c) =>
        writeClipboard(c.id).then(
          () => toast.show(`Copied the connection ID of “${c.name}”`, "info"),
          () => toast.show(`Could not copy; the connection ID is ${c.id}`, "error"),
        ),
      setStatus: setStatusTarget,
      remove: setDeleteTarget,
    }),
    [navigate, toast, org],
  );
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = Boolean(filters.q || status);

  return (
    <div className="stack">
      <search className="toolbar" aria-label="Filter connections">
        <div className="field field-inline">
          <label htmlFor="connection-search" className="field-label">
            Search
          </label>
          <input
            id="connection-search"
            type="search"
            className="input"
            placeholder="Name or description"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
        <div className="field field-inline field-narrow">
          <label htmlFor="connection-status" className="field-label">
            Status
          </label>
          <select
            id="connection-status"
            className="input"
            value={status ?? ""}
            onChange={(e) =>
              setParams((prev) => {
                const next = new URLSearchParams(prev);
                if (e.target.value) next.set("status", e.target.value);
                else next.delete("status");
                return next;
              })
            }
          >
            <option value="">All</option>
            <option value="active">Active</option>
            <option value="inactive">Inactive</option>
          </select>
        </div>
      </search>

      {query.isPending ? (
        <Spinner label="Loading connections…" />
      ) : query.isError ? (
        <ErrorMessage error={query.error} onRetry={() => query.refetch()} />
      ) : items.length === 0 ? (
        filtered ? (
          <EmptyState title="No connections match">
            <p>Try another search or status.</p>
          </EmptyState>
        ) : (
          <EmptyState
            title="No OIDC connections yet"
            action={
              canManage ? (
                <Link to={paths.newConnection(org)} className="btn btn-primary">
                  Create your first connection
                </Link>
              ) : undefined
            }
          >
            <p>
              An OIDC connection lets GitHub Actions workflows get a short-lived access token in exchange for their GitHub OIDC ID token —
              no long-lived password in your GitHub secrets. You choose which repositories, branches or environments may connect, and what
              they may do.
            </p>
            {!canManage && <p className="muted">Only organisation owners can create connections.</p>}
          </EmptyState>
        )
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" aria-label="OIDC connections" aria-busy={query.isFetching && !query.isFetchingNextPage}>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Rulesets
                  </th>
                  <th scope="col">Last used</th>
                  <th scope="col">Created</th>
                  {canManage && (
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {items.map((c) => (
                  <ConnectionRow key={c.id} org={org} connection={c} canManage={canManage} actions={actions} />
                ))}
              </tbody>
            </table>
          </div>
          <div className="list-footer">
            <p className="muted" role="status">
              Showing {items.length} connection{items.length === 1 ? "" : "s"}
              {query.hasNextPage ? " — more available" : ""}
            </p>
            {query.hasNextPage && (
              <button type="button" className="btn btn-secondary" onClick={() => query.fetchNextPage()} disabled={query.isFetchingNextPage}>
                {query.isFetchingNextPage ? "Loading…" : "Show more"}
              </button>
            )}
          </div>
        </>
      )}
      <StatusDialog org={org} connection={statusTarget} onClose={() => setStatusTarget(null)} />
      <DeleteDialog org={org} connection={deleteTarget} onClose={() => setDeleteTarget(null)} />
    </div>
  );
}
