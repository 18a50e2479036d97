import { isRouteErrorResponse, Link, useRouteError } from "react-router";
import { isApiError } from "../../lib/api-client";
import { NotFound } from "./not-found";

export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : "Something went wrong";
  return (
    <div className="alert alert-error" role="alert">
      <p className="alert-title">{isApiError(error, 404) ? "Not found" : "Could not load this"}</p>
      <p>{message}</p>
      {onRetry && (
        <button type="button" className="btn btn-secondary btn-sm" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/**
 * The error boundary of routes inside the shell (the org's pages): a 404 (an org the user is not a
 * member of) is the one not-found page; anything else says what went wrong, with a way back.
 */
export function ShellErrorView() {
  const error = useRouteError();
  const notFound = (isRouteErrorResponse(error) && error.status === 404) || isApiError(error, 404);
  if (notFound) return <NotFound />;
  return (
    <NotFound title="Something went wrong">
      <p>{error instanceof Error ? error.message : "Try again."}</p>
    </NotFound>
  );
}

/** The router's outermost error boundary (no shell around it): 404s and unexpected errors, with a way back. */
export function RouteErrorView() {
  const error = useRouteError();
  const notFound = (isRouteErrorResponse(error) && error.status === 404) || isApiError(error, 404);
  return (
    <main className="page page-narrow" id="main">
      <h1>{notFound ? "Page not found" : "Something went wrong"}</h1>
      <p>{notFound ? "There is nothing here, or you do not have access to it." : error instanceof Error ? error.message : "Try again."}</p>
      <p>
        <Link to="/" className="btn btn-primary">
          Go to the console
        </Link>
      </p>
    </main>
  );
}
