import { ApiTokenCreateSchema, MAX_API_TOKEN_DAYS } from "@oidc/shared";
import { useState } from "react";
import { CopyButton } from "../../../components/ui/copy-button";
import { Dialog } from "../../../components/ui/dialog";
import { Field } from "../../../components/ui/field";
import { Alert } from "../../../components/ui/status";
import { issuesByPath } from "../../../lib/api-client";
import { useCreateApiToken } from "../api/create-api-token";

const EXPIRY_CHOICES = [
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: String(MAX_API_TOKEN_DAYS), label: "1 year" },
  { value: "never", label: "Never" },
];

/** Create → the token is shown once, with Copy and a warning; closing the dialog forgets it. */
export function CreateApiTokenDialog({ org, open, onClose }: { org: string; open: boolean; onClose: () => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<"owner" | "member">("member");
  const [expiry, setExpiry] = useState("90");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const mutation = useCreateApiToken(org);
  const created = mutation.data;
  const close = () => {
    setName("");
    setRole("member");
    setExpiry("90");
    setErrors({});
    mutation.reset();
    onClose();
  };
  if (created) {
    return (
      <Dialog
        open={open}
        title={`Token “${created.name}” created`}
        onClose={close}
        actions={
          <button type="button" className="btn btn-primary" onClick={close} data-autofocus>
            Done
          </button>
        }
      >
        <Alert tone="warning" title="Copy the token now">
          <p>
            This is the only time it is shown. Store it as a secret (e.g. OIDC_CONNECTIONS_TOKEN in GitHub secrets); if it is lost, revoke
            it and create another.
          </p>
        </Alert>
        <div className="copy-row">
          <code className="code-box">{created.token}</code>
          <CopyButton text={created.token} label="Copy the token" />
        </div>
      </Dialog>
    );
  }
  const submit = () => {
    const body = { name, role, ...(expiry === "never" ? {} : { expiresInDays: Number(expiry) }) };
    const parsed = ApiTokenCreateSchema.safeParse(body);
    if (!parsed.success) {
      setErrors(
        issuesByPath(
          parsed.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === "number" ? p : String(p))), message: i.message })),
        ),
      );
      return;
    }
    setErrors({});
    mutation.mutate(body, { onError: (error) => setErrors(issuesByPath((error as { issues?: [] }).issues ?? [])) });
  };
  return (
    <Dialog
      open={open}
      title="Create an API token"
      onClose={close}
      actions={
        <>
          <button type="button" className="btn btn-secondary" onClick={close}>
            Cancel
          </button>
          <button type="submit" form="api-token-form" className="btn btn-primary" disabled={mutation.isPending}>
            {mutation.isPending ? "Creating…" : "Create token"}
          </button>
        </>
      }
    >
      <form
        id="api-token-form"
        className="stack"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <Field label="Name" hint="What uses it, e.g. “connections repo CI”" error={errors.name}>
          <input
            className="input"
            value={name}
            maxLength={100}
            autoComplete="off"
            onChange={(e) => setName(e.target.value)}
            data-autofocus
          />
        </Field>
        <Field label="Role" hint="A member token can only read; an owner token can change connections" error={errors.role}>
          <select className="input" value={role} onChange={(e) => setRole(e.target.value as "owner" | "member")}>
            <option value="member">Member (read only)</option>
            <option value="owner">Owner (read and change)</option>
          </select>
        </Field>
        <Field label="Expires after" error={errors.expiresInDays}>
          <select className="input" value={expiry} onChange={(e) => setExpiry(e.target.value)}>
            {EXPIRY_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </Field>
        {mutation.error && !Object.keys(errors).length && (
          <p className="field-error" role="alert">
            {mutation.error.message}
          </p>
        )}
      </form>
    </Dialog>
  );
}
