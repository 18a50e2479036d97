import { CopyButton } from "../../../components/ui/copy-button";
import { useConfig } from "../api/get-config";
import { workflowSnippet } from "../lib/snippet";

/** The connection ID and a ready-to-paste workflow (logging in to the deployment's registry), both copyable. */
export function ConnectionSetup({ id, org }: { id: string; org: string }) {
  const config = useConfig();
  const snippet = workflowSnippet(id, window.location.origin, { registry: config.data?.registryService, username: org });
  return (
    <section className="card stack" aria-labelledby="setup-heading">
      <h2 id="setup-heading" className="card-title">
        Use it in a workflow
      </h2>
      <div className="stack-sm">
        <p className="field-label" id="connection-id-label">
          Connection ID
        </p>
        <div className="copy-row">
          <code className="code-box" data-testid="connection-id">
            {id}
          </code>
          <CopyButton text={id} label="Copy connection ID" />
        </div>
      </div>
      <div className="stack-sm">
        <div className="copy-row copy-row-head">
          <p className="field-label" id="snippet-label">
            Workflow snippet
          </p>
          <CopyButton text={snippet} label="Copy workflow snippet" />
        </div>
        <pre className="code-block code-block-wrap" data-testid="workflow-snippet">
          <code>{snippet}</code>
        </pre>
      </div>
    </section>
  );
}
