import type { ReactNode } from "react";
import { type RulesetWarning, WARNING_TITLES, type WarningGroup } from "../lib/warnings";

/** One ruleset's warnings: whole, or a short line when the advice is given once above (grouped). */
export function WarningList({
  warnings,
  label,
  fix,
}: {
  warnings: RulesetWarning[];
  label: string;
  /** An action offered beside a warning, e.g. "Use the immutable form". */
  fix?: (w: RulesetWarning) => ReactNode;
}) {
  if (!warnings.length) return null;
  return (
    <ul className="warnings" aria-label={label}>
      {warnings.map((w) => (
        <li key={w.code} className="warning">
          <span className="warning-icon" aria-hidden="true">
            ⚠
          </span>
          <span className="stack-sm">
            <span>
              <span className="visually-hidden">Warning: </span>
              {w.grouped ? `${WARNING_TITLES[w.code] ?? w.code} — see the note above the rulesets.` : w.message}
            </span>
            {fix?.(w)}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** Advice shared by several rulesets, said once. */
export function GroupedWarnings({ groups }: { groups: WarningGroup[] }) {
  if (!groups.length) return null;
  return (
    <ul className="warnings" aria-label="Warnings for several rulesets">
      {groups.map((g) => (
        <li key={g.code} className="warning">
          <span className="warning-icon" aria-hidden="true">
            ⚠
          </span>
          <span>
            <strong>
              {g.title} — rulesets {g.labels.map((l) => `“${l}”`).join(", ")}.
            </strong>{" "}
            {g.advice}
          </span>
        </li>
      ))}
    </ul>
  );
}
