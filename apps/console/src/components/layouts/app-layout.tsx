import type { ReactNode } from "react";
import { NavLink } from "react-router";
import { paths } from "../../lib/paths";

interface OrgOption {
  slug: string;
  name: string;
}

interface Props {
  userLabel: string;
  orgs: OrgOption[];
  currentOrg: string | undefined;
  onSwitchOrg: (slug: string) => void;
  onSignOut: () => void;
  signingOut: boolean;
  children: ReactNode;
}

/** Header (org switcher, user, sign out), the "Security and access" navigation, and the page. */
export function AppLayout({ userLabel, orgs, currentOrg, onSwitchOrg, onSignOut, signingOut, children }: Props) {
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          Admin Console
        </span>
        <div className="topbar-right">
          {orgs.length > 1 ? (
            <div className="org-switcher">
              <label htmlFor="org-switcher" className="visually-hidden">
                Organisation
              </label>
              <select id="org-switcher" className="input input-sm" value={currentOrg ?? ""} onChange={(e) => onSwitchOrg(e.target.value)}>
                {!currentOrg && <option value="">Choose an organisation</option>}
                {orgs.map((o) => (
                  <option key={o.slug} value={o.slug}>
                    {o.name}
                  </option>
                ))}
              </select>
            </div>
          ) : (
            orgs[0] && <span className="org-name">{orgs[0].name}</span>
          )}
          <span className="user-label">{userLabel}</span>
          <button type="button" className="btn btn-ghost btn-sm" onClick={onSignOut} disabled={signingOut}>
            Sign out
          </button>
        </div>
      </header>
      <div className="body">
        {currentOrg && (
          <nav className="sidebar" aria-label="Organisation settings">
            <p className="sidebar-heading" id="nav-security">
              Security and access
            </p>
            <ul aria-labelledby="nav-security">
              <li>
                <NavLink to={paths.connections(currentOrg)} className="sidebar-link">
                  OIDC connections
                </NavLink>
              </li>
              <li>
                <NavLink to={paths.apiTokens(currentOrg)} className="sidebar-link">
                  API tokens
                </NavLink>
              </li>
              <li>
                <NavLink to={paths.policy(currentOrg)} className="sidebar-link">
                  Policy
                </NavLink>
              </li>
            </ul>
            <p className="sidebar-heading" id="nav-visibility">
              Visibility
            </p>
            <ul aria-labelledby="nav-visibility">
              <li>
                <NavLink to={paths.auditLog(currentOrg)} className="sidebar-link">
                  Audit log
                </NavLink>
              </li>
              <li>
                <NavLink to={paths.webhooks(currentOrg)} className="sidebar-link">
                  Webhooks
                </NavLink>
              </li>
            </ul>
          </nav>
        )}
        <main id="main" className="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
