import { ApiTokenCreateSchema, MAX_API_TOKEN_DAYS, type Role } from "@oidc/shared";
import { useMemo, useRef } from "react";
import { useForm } from "react-hook-form";
import { CopyButton } from "../../../components/ui/copy-button";
import { Dialog } from "../../../components/ui/dialog";
import { Field } from "../../../components/ui/field";
import { Alert } from "../../../components/ui/status";
import { isApiError } from "../../../lib/api-client";
import { bodyResolver, errorMessage, type ServerIssue, serverIssues, withServerIssues } from "../../../lib/form";
import { useCreateApiToken } from "../api/create-api-token";

const EXPIRY_CHOICES = [
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: String(MAX_API_TOKEN_DAYS), label: "1 year" },
  { value: "never", label: "Never" },
];

/** The dialog's values: `expiresInDays` is the select's value ("never" leaves it out). */
interface TokenDraft {
  name: string;
  role: Role;
  expiresInDays: string;
}

const EMPTY: TokenDraft = { name: "", role: "member", expiresInDays: "90" };

const tokenResolver = bodyResolver<TokenDraft>()(ApiTokenCreateSchema, ({ name, role, expiresInDays }) => ({
  name,
  role,
  ...(expiresInDays === "never" ? {} : { expiresInDays: Number(expiresInDays) }),
}));

/** Create → the token is shown once, with Copy and a warning; closing the dialog forgets it. */
export function CreateApiTokenDialog({ org, open, onClose }: { org: string; open: boolean; onClose: () => void }) {
  const issues = useRef<ServerIssue[]>([]);
  const resolver = useMemo(() => withServerIssues(tokenResolver, () => issues.current), []);
  const form = useForm({ defaultValues: EMPTY, resolver });
  const {
    register,
    formState: { errors },
  } = form;
  const mutation = useCreateApiToken(org);
  const created = mutation.data;
  const close = () => {
    issues.current = [];
    form.reset(EMPTY);
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
  const submit = form.handleSubmit((body) =>
    mutation.mutate(body, {
      onError: (error) => {
        if (!isApiError(error) || !error.issues.length) return;
        issues.current = serverIssues(error.issues, form.getValues());
        void form.trigger(undefined, { shouldFocus: true });
      },
    }),
  );
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
      <form id="api-token-form" className="stack" noValidate onSubmit={submit}>
        <Field label="Name" hint="What uses it, e.g. “connections repo CI”" error={errorMessage(errors, "name")}>
          <input className="input" maxLength={100} autoComplete="off" data-autofocus {...register("name")} />
        </Field>
        <Field label="Role" hint="A member token can only read; an owner token can change connections" error={errorMessage(errors, "role")}>
          <select className="input" {...register("role")}>
            <option value="member">Member (read only)</option>
            <option value="owner">Owner (read and change)</option>
          </select>
        </Field>
        <Field label="Expires after" error={errorMessage(errors, "expiresInDays")}>
          <select className="input" {...register("expiresInDays")}>
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
