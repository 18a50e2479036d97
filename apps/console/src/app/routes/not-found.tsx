import { Link } from "react-router";
import { usePageTitle } from "../title";

export function Component() {
  usePageTitle("Page not found");
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>There is nothing here, or you do not have access to it.</p>
      <Link to="/" className="btn btn-primary">
        Go to the console
      </Link>
    </div>
  );
}
