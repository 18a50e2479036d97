import { useMemo, useState } from "react";
import { type ConnectionDraft, type FieldErrors, withoutFieldErrors } from "../lib/draft";

/** Moves focus to the first field marked invalid (after a refused submit). */
export function focusFirstInvalid() {
  const el = document.querySelector<HTMLElement>("[aria-invalid=true], .field-invalid input");
  el?.focus();
  el?.scrollIntoView({ block: "center" });
}

type Validation = { ok: true } | { ok: false; errors: FieldErrors };

/**
 * The state both connection forms keep: the draft, whether a submit was tried (the shared schema's
 * errors show only from then on), the server's field errors (a field's go when the user edits it),
 * and the errors to show beside the fields.
 */
export function useConnectionDraft<V extends Validation>(
  initial: ConnectionDraft | (() => ConnectionDraft),
  validate: (draft: ConnectionDraft) => V,
) {
  const [draft, setDraft] = useState<ConnectionDraft>(initial);
  const [submitted, setSubmitted] = useState(false);
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const validation = useMemo(() => validate(draft), [draft, validate]);
  const checked: Validation = validation;
  const errors: FieldErrors = { ...(submitted && !checked.ok ? checked.errors : {}), ...serverErrors };
  const onChange = (next: ConnectionDraft, field: string) => {
    setDraft(next);
    if (Object.keys(serverErrors).length) setServerErrors(withoutFieldErrors(serverErrors, field));
  };
  return { draft, setDraft, submitted, setSubmitted, serverErrors, setServerErrors, validation, errors, onChange };
}
