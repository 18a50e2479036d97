import type { NoMatchDiagnosis } from "@oidc/shared";

/**
 * The ruleset that came closest to matching and what it failed on — the same words on the Test
 * tab and in Activity (the shared `diagnoseNoMatch`).
 */
export function ClosestMiss({ diagnosis }: { diagnosis: NoMatchDiagnosis }) {
  const { failed } = diagnosis;
  return (
    <span>
      “{diagnosis.label}”:{" "}
      {failed.kind === "subject" ? (
        <>
          the subject pattern <code className="code-inline code-wrap">{failed.pattern}</code> matched only up to{" "}
          <code className="code-inline code-wrap">{failed.matchedPrefix || "(nothing)"}</code>
        </>
      ) : (
        <>
          condition <code className="code-inline">{failed.claim}</code> = <code className="code-inline">{failed.pattern}</code> failed;{" "}
          {failed.value === null ? (
            <>
              the token has no <code className="code-inline">{failed.claim}</code> claim
            </>
          ) : (
            <>
              the token had <code className="code-inline">{failed.value}</code>
            </>
          )}
        </>
      )}
    </span>
  );
}
