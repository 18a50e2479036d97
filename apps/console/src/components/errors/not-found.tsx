import { useEffect } from "react";
import { Link } from "react-router";

interface Props {
  /** The heading, e.g. "Page not found" or "Connection not found". */
  title?: string;
  children?: React.ReactNode;
  back?: { to: string; label: string };
}

/**
 * The one "not found" page, shown inside the console's shell: a heading, what may have happened
 * (never whether something exists elsewhere), and a way back.
 */
export function NotFound({
  title = "Page not found",
  children = <p>There is nothing here, or you do not have access to it.</p>,
  back = { to: "/", label: "Go to the console" },
}: Props) {
  useEffect(() => {
    document.title = `${title} · OIDC connections`;
  }, [title]);
  return (
    <div className="page page-narrow stack">
      <h1>{title}</h1>
      {children}
      <p>
        <Link to={back.to} className="btn btn-primary">
          {back.label}
        </Link>
      </p>
    </div>
  );
}
