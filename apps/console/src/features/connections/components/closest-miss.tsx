import { isObject, type NoMatchDiagnosis } from "@oidc/shared";

const str = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : undefined);

/** Reads a diagnosis from an API answer or an event's details (older events may lack parts). */
export function asDiagnosis(value: unknown): NoMatchDiagnosis | null {
  if (!isObject(value) || !isObject(value.failed)) return null;
  const label = str(value.label) ?? "?";
  const f = value.failed;
  if (f.kind === "subject")
    return { label, failed: { kind: "subject", pattern: str(f.pattern) ?? "", matchedPrefix: str(f.matchedPrefix) ?? "" } };
  if (f.kind === "condition")
    return {
      label,
      failed: {
        kind: "condition",
        claim: str(f.claim) ?? "",
        pattern: str(f.pattern) ?? "",
        value: typeof f.value === "string" ? f.value : null,
      },
    };
  return null;
}

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
