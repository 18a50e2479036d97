import { type FormEvent, useId, useMemo, useState } from "react";
import { Alert } from "../../../components/ui/status";
import { useDevIssuer, useMintAndExchange } from "../api/dev-issuer";
import type { Connection } from "../api/get-connection";
import { useSimulateConnection } from "../api/simulate-connection";
import { parseTestInput } from "../lib/jwt";

const KIND_LABEL = {
  claims: "Claims JSON",
  subject: "A subject: tested as the sub claim alone (conditions on other claims will fail)",
  token: "An ID token: decoded in your browser, not verified",
} as const;

function sampleClaims(connection: Connection): string {
  const first = connection.rulesets[0];
  const repo = first?.resources[0] ?? `${connection.org}/api`;
  const concrete = (first?.subject ?? `repo:${repo}:ref:refs/heads/main`)
    .replace(/@\*/g, "@987654321")
    .replace(/\*/g, "main")
    .replace(/\?/g, "x");
  return JSON.stringify(
    {
      sub: concrete,
      repository: repo,
      repository_owner: repo.split("/")[0],
      ref: "refs/heads/main",
      event_name: "push",
      workflow: "build",
    },
    null,
    2,
  );
}

/** Paste claims, a subject or a whole ID token, and see which rulesets match and the merged access. */
export function TestPanel({ org, connection }: { org: string; connection: Connection }) {
  const [text, setText] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const parsed = useMemo(() => parseTestInput(text), [text]);
  const simulate = useSimulateConnection(org, connection.id);
  const devIssuer = useDevIssuer();
  const exchange = useMintAndExchange();
  const id = useId();
  const inputError =
    submitted && parsed.kind === "error" ? parsed.message : submitted && parsed.kind === "empty" ? "Paste something to test" : undefined;

  const run = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (parsed.kind === "error" || parsed.kind === "empty") return;
    simulate.mutate({ claims: parsed.claims });
  };
  const result = simulate.data;
  const matched = new Set(result?.matched ?? []);
  const canMint = devIssuer.data && (parsed.kind === "claims" || parsed.kind === "subject");

  return (
    <div className="stack-lg">
      <form className="card stack" onSubmit={run} noValidate>
        <h2 className="card-title">Test the rulesets</h2>
        <p className="muted">Nothing is exchanged: this only evaluates the saved rulesets against the claims you give.</p>
        <div className={`field${inputError ? " field-invalid" : ""}`}>
          <label htmlFor={`${id}-input`} className="field-label">
            Claims JSON, subject or ID token
          </label>
          <textarea
            id={`${id}-input`}
            className="input input-mono"
            rows={8}
            spellCheck={false}
            value={text}
            placeholder={'{"sub": "repo:octo-org/api:ref:refs/heads/main", "repository": "octo-org/api"}'}
            aria-invalid={inputError ? true : undefined}
            aria-describedby={`${id}-kind${inputError ? ` ${id}-error` : ""}`}
            onChange={(e) => setText(e.target.value)}
          />
          <p id={`${id}-kind`} className="field-hint">
            {parsed.kind === "claims" || parsed.kind === "subject" || parsed.kind === "token"
              ? `Detected: ${KIND_LABEL[parsed.kind]}`
              : "\u00a0"}
          </p>
          {inputError && (
            <p id={`${id}-error`} className="field-error">
              {inputError}
            </p>
          )}
        </div>
        {parsed.kind === "token" && (
          <details>
            <summary>Decoded claims</summary>
            <pre className="code-block">
              <code>{JSON.stringify(parsed.claims, null, 2)}</code>
            </pre>
          </details>
        )}
        <div className="inline-actions">
          <button type="submit" className="btn btn-primary" disabled={simulate.isPending}>
            {simulate.isPending ? "Testing…" : "Run test"}
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => setText(sampleClaims(connection))}>
            Fill in example claims
          </button>
        </div>
        {simulate.error && (
          <p className="field-error" role="alert">
            {simulate.error.message}
          </p>
        )}
      </form>

      {result && (
        <section className="card stack" aria-labelledby="result-heading" aria-live="polite">
          <h2 id="result-heading" className="card-title">
            Result
          </h2>
          {result.allowed ? (
            <Alert tone="success" title="Allowed">
              <p>A workflow with these claims would get an access token.</p>
            </Alert>
          ) : (
            <Alert tone="warning" title="Denied">
              <p>No ruleset matches these claims, so the exchange would be refused.</p>
            </Alert>
          )}
          <h3>Rulesets</h3>
          <ul className="plain-list stack-sm">
            {connection.rulesets.map((r) => (
              <li key={r.id} className={matched.has(r.label) ? "preview-yes" : "preview-no"}>
                <span aria-hidden="true">{matched.has(r.label) ? "✓ " : "✕ "}</span>
                <strong>{r.label}</strong> {matched.has(r.label) ? "matches" : "does not match"} —{" "}
                <code className="code-inline">{r.subject}</code>
              </li>
            ))}
          </ul>
          {result.access.length > 0 && (
            <>
              <h3>Merged access</h3>
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th scope="col">Repository</th>
                      <th scope="col">Scopes</th>
                    </tr>
                  </thead>
                  <tbody>
                    {result.access.map((g) => (
                      <tr key={g.resource}>
                        <td className="mono">{g.resource}</td>
                        <td>{g.scopes.join(", ")}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </section>
      )}

      {devIssuer.data && (
        <section className="card stack" aria-labelledby="mint-heading">
          <h2 id="mint-heading" className="card-title">
            Try a real exchange (development issuer)
          </h2>
          <p className="muted">
            This server runs a development issuer. It can mint a GitHub-shaped ID token with the claims above and exchange it at the token
            endpoint, exactly as a workflow would, and the result shows in Activity.
            {connection.issuer !== devIssuer.data.issuer &&
              ` This connection trusts ${connection.issuer}, not the development issuer, so the exchange will be refused — which shows how a denial looks.`}
          </p>
          <button
            type="button"
            className="btn btn-secondary"
            disabled={!canMint || exchange.isPending}
            onClick={() => {
              if (parsed.kind !== "claims" && parsed.kind !== "subject") return;
              exchange.mutate({ connectionId: connection.id, claims: parsed.claims });
            }}
          >
            {exchange.isPending ? "Exchanging…" : "Mint a sample token and exchange it"}
          </button>
          {!canMint && <p className="field-hint">Enter claims JSON or a subject above first.</p>}
          {exchange.error && (
            <Alert tone="error" title="Exchange refused">
              <p>{exchange.error.message}</p>
            </Alert>
          )}
          {exchange.data && (
            <Alert tone="success" title="Exchange succeeded">
              <dl className="dl dl-compact">
                <div className="dl-row">
                  <dt>Scope</dt>
                  <dd>
                    <code className="code-inline code-wrap">{String(exchange.data.response.scope ?? "")}</code>
                  </dd>
                </div>
                <div className="dl-row">
                  <dt>Expires in</dt>
                  <dd>{String(exchange.data.response.expires_in ?? "")} s</dd>
                </div>
              </dl>
            </Alert>
          )}
        </section>
      )}
    </div>
  );
}
