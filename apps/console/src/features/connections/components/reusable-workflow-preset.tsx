import { useId, useState } from "react";
import { Field } from "../../../components/ui/field";
import { centralWorkflowRef, reusableWorkflowSubjects } from "../lib/examples";

/**
 * SPEC §11 "trusted reusable workflow" preset: any repository of the org (name or immutable subject
 * format), with a `job_workflow_ref` condition pinned to one central workflow at one ref. The live
 * preview below the subject then lists which callers match.
 */
export function ReusableWorkflowPreset({
  owner,
  repositories,
  onApply,
}: {
  owner: { owner: string; ownerId: string | null };
  repositories: { name: string; fullName: string }[];
  onApply: (subject: string, condition: { claim: string; pattern: string }) => void;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const subjects = reusableWorkflowSubjects(owner);
  const [format, setFormat] = useState<"immutable" | "name">(subjects.immutable ? "immutable" : "name");
  const [repo, setRepo] = useState(repositories[0]?.name ?? "");
  const [file, setFile] = useState("release.yml");
  const [ref, setRef] = useState("refs/heads/main");
  const workflowRef = centralWorkflowRef(owner.owner, repo, file, ref);
  if (!open)
    return (
      <div className="suggestions">
        <span className="suggestions-label">Preset:</span>
        <button type="button" className="chip" onClick={() => setOpen(true)}>
          Trusted reusable workflow…
        </button>
      </div>
    );
  return (
    <fieldset className="subfield">
      <legend>Trusted reusable workflow</legend>
      <p className="field-hint">
        Any repository of {owner.owner} may get a token, but only from jobs that run the central workflow below at that ref.
      </p>
      <div className="inline-actions" role="radiogroup" aria-label="Subject format">
        {subjects.immutable && (
          <label className="checkbox">
            <input type="radio" name={`${id}-format`} checked={format === "immutable"} onChange={() => setFormat("immutable")} />
            <span className="mono">{subjects.immutable}</span>
          </label>
        )}
        <label className="checkbox">
          <input type="radio" name={`${id}-format`} checked={format === "name"} onChange={() => setFormat("name")} />
          <span className="mono">{subjects.name}</span>
        </label>
      </div>
      <Field label="Workflow repository" hint={`The repository of ${owner.owner} that holds the central workflow.`}>
        <input className="input input-mono" list={`${id}-repos`} value={repo} onChange={(e) => setRepo(e.target.value.trim())} />
      </Field>
      <datalist id={`${id}-repos`}>
        {repositories.map((r) => (
          <option key={r.name} value={r.name} />
        ))}
      </datalist>
      <Field label="Workflow file" hint="Under .github/workflows/">
        <input className="input input-mono" value={file} onChange={(e) => setFile(e.target.value.trim())} />
      </Field>
      <Field label="Workflow ref" hint="Pin a branch or tag, e.g. refs/heads/main or refs/tags/v1.">
        <input className="input input-mono" value={ref} onChange={(e) => setRef(e.target.value.trim())} />
      </Field>
      <p className="field-hint">
        Condition: job_workflow_ref = <code>{workflowRef}</code>
      </p>
      <div className="inline-actions">
        <button
          type="button"
          className="btn btn-secondary btn-sm"
          disabled={!repo || !file || !ref}
          onClick={() => {
            onApply(format === "immutable" && subjects.immutable ? subjects.immutable : subjects.name, {
              claim: "job_workflow_ref",
              pattern: workflowRef,
            });
            setOpen(false);
          }}
        >
          Apply preset
        </button>
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </fieldset>
  );
}
