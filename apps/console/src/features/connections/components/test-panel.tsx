import { type Decision, REFUSAL_MESSAGES } from "@oidc/shared";
import { type FormEvent, useId, useMemo, useRef, useState } from "react";
import { Alert } from "../../../components/ui/status";
import { useDevIssuer, useMintAndExchange } from "../api/dev-issuer";
import type { Connection } from "../api/get-connection";
import { useSimulateConnection } from "../api/simulate-connection";
import { parseTestInput } from "../lib/jwt";
import { claimsOfSubjectFor, claimsToTest, type OwnerInfo } from "../lib/test-claims";
import { ClosestMiss } from "./closest-miss";

const KIND_LABEL = {
  claims: "Claims JSON",
  subject: "A subject: tested with the claims a GitHub job with this subject carries (shown below)",
  token: "An ID token: decoded in your browser, not verified",
} as const;

/** A concrete subject the first ruleset lets in, as claims JSON: a starting point to edit. */
function sampleClaims(connection: Connection, owner: OwnerInfo): string {
  const first = connection.rulesets[0];
  const repo = first?.resources[0] ?? `${connection.org}/api`;
  const concrete = (first?.subject ?? `repo:${repo}:ref:refs/heads/main`)
    .replace(/@\*/g, "@987654321")
    .replace(/\*/g, "main")
    .replace(/\?/g, "x");
  return JSON.stringify({ ...claimsOfSubjectFor(concrete, owner), workflow: "build" }, null, 2);
}

function ClaimsTable({ claims }: { claims: Record<string, unknown> }) {
  return (
    <dl className="dl dl-compact">
      {Object.entries(claims).map(([k, v]) => (
        <div key={k} className="dl-row">
          <dt className="mono">{k}</dt>
          <dd>
            <code className="code-inline code-wrap">{typeof v === "string" ? v : JSON.stringify(v)}</code>
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** The answer of a dry run: allowed or refused and why, each ruleset, the closest miss, the merged access. */
export function TestResult({ connection, result }: { connection: Connection; result: Decision }) {
  const matched = new Set(result.matched);
  const auditLabels = new Set(result.audit ?? []);
  const expiredLabels = new Set(result.expired ?? []);
  const auditRulesets = connection.rulesets.filter((r) => r.mode === "audit");
  const inactive = result.reason === "connection_inactive";
  return (
    <section className="card stack" aria-labelledby="result-heading" aria-live="polite">
      <h2 id="result-heading" className="card-title">
        Result
      </h2>
      {result.allowed ? (
        <Alert tone="success" title="Allowed">
          <p>A workflow with these claims would get an access token.</p>
        </Alert>
      ) : (
        <Alert tone="warning" title={inactive ? "Denied: the connection is inactive" : "Denied"}>
          <p>{result.reason ? REFUSAL_MESSAGES[result.reason] : "The exchange would be refused."}</p>
          {result.diagnosis && (
            <p>
              Closest ruleset: <ClosestMiss diagnosis={result.diagnosis} />
            </p>
          )}
        </Alert>
      )}
      <h3>Rulesets</h3>
      <ul className="plain-list stack-sm">
        {connection.rulesets
          .filter((r) => r.mode !== "audit")
          .map((r) => {
            const yes = matched.has(r.label);
            const expired = expiredLabels.has(r.label);
            return (
              <li key={r.id} className={yes ? "preview-yes" : "preview-no"}>
                <span aria-hidden="true">{yes ? "✓ " : "✕ "}</span>
                <strong>{r.label}</strong>{" "}
                {expired
                  ? "has expired: it would match, but matches nothing any more"
                  : yes
                    ? inactive
                      ? "matches (but the connection is inactive)"
                      : "matches"
                    : "does not match"}{" "}
                — <code className="code-inline code-wrap">{r.subject}</code>
              </li>
            );
          })}
      </ul>
      {auditRulesets.length > 0 && (
        <>
          <h3>Audit rulesets (grant nothing)</h3>
          <ul className="plain-list stack-sm" aria-label="Audit rulesets">
            {auditRulesets.map((r) => {
              const yes = auditLabels.has(r.label);
              return (
                <li key={r.id} className={yes ? "preview-yes" : "preview-no"}>
                  <span aria-hidden="true">{yes ? "✓ " : "✕ "}</span>
                  <strong>{r.label}</strong> {yes ? "would have matched (recorded in the event)" : "would not match"} —{" "}
                  <code className="code-inline code-wrap">{r.subject}</code>
                </li>
              );
            })}
          </ul>
        </>
      )}
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
  );
}

/**
 * Paste claims, a subject or a whole ID token, and see what the token endpoint would decide: a subject
 * is tested with the claims a GitHub job with that subject carries, shown and editable. Owners can
 * also mint a token with the development issuer and exchange it for real.
 */
export function TestPanel({
  org,
  owner,
  canManage,
  connection,
}: {
  org: string;
  owner: OwnerInfo;
  canManage: boolean;
  connection: Connection;
}) {
  const [text, setText] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const parsed = useMemo(() => parseTestInput(text), [text]);
  const claims = useMemo(() => claimsToTest(parsed, owner), [parsed, owner]);
  const simulate = useSimulateConnection(org, connection.id);
  const devIssuer = useDevIssuer();
  const exchange = useMintAndExchange();
  const id = useId();
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const inputError =
    submitted && parsed.kind === "error" ? parsed.message : submitted && parsed.kind === "empty" ? "Paste something to test" : undefined;

  const run = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (!claims) return;
    simulate.mutate({ claims });
  };
  const canMint = parsed.kind === "claims" || parsed.kind === "subject";

  return (
    <div className="stack-lg">
      <form className="card stack" onSubmit={run} noValidate>
        <h2 className="card-title">Test the rulesets</h2>
        <p className="muted">
          Nothing is exchanged: this shows what the token endpoint would decide for these claims, with the saved rulesets and the
          connection's status.
        </p>
        <div className={`field${inputError ? " field-invalid" : ""}`}>
          <label htmlFor={`${id}-input`} className="field-label">
            Claims JSON, subject or ID token
          </label>
          <textarea
            ref={inputRef}
            id={`${id}-input`}
            className="input input-mono"
            rows={8}
            spellCheck={false}
            value={text}
            placeholder={'repo:octo-org/api:environment:production  or  {"sub": "repo:octo-org/api:ref:refs/heads/main", …}'}
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
        {parsed.kind === "subject" && claims && (
          <section className="stack-sm" aria-labelledby={`${id}-derived`}>
            <h3 id={`${id}-derived`}>Claims of a job with this subject</h3>
            <p className="field-hint">
              What GitHub puts in the ID token of such a job, read from the subject. If your job differs (another branch behind an
              environment, a workflow file, an ID), edit them.
            </p>
            <ClaimsTable claims={claims} />
            <div>
              <button
                type="button"
                className="btn btn-ghost btn-sm"
                onClick={() => {
                  // The button goes away with the subject: focus follows the claims into the field.
                  setText(JSON.stringify(claims, null, 2));
                  inputRef.current?.focus();
                }}
              >
                Edit these claims
              </button>
            </div>
          </section>
        )}
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
          <button type="button" className="btn btn-ghost" onClick={() => setText(sampleClaims(connection, owner))}>
            Fill in example claims
          </button>
        </div>
        {simulate.error && (
          <p className="field-error" role="alert">
            {simulate.error.message}
          </p>
        )}
      </form>

      {simulate.data && <TestResult connection={connection} result={simulate.data} />}

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
          {canManage ? (
            <>
              <button
                type="button"
                className="btn btn-secondary"
                disabled={!canMint || exchange.isPending}
                onClick={() => {
                  if (canMint && claims) exchange.mutate({ connectionId: connection.id, claims });
                }}
              >
                {exchange.isPending ? "Exchanging…" : "Mint a sample token and exchange it"}
              </button>
              {!canMint && <p className="field-hint">Enter claims JSON or a subject above first.</p>}
            </>
          ) : (
            <p className="field-hint">Only organisation owners can mint a sample token and exchange it; members can run the test above.</p>
          )}
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
