import { LoginInputSchema } from "@oidc/shared";
import { type FormEvent, useRef, useState } from "react";
import { Field } from "../../../components/ui/field";
import { isApiError } from "../../../lib/api-client";
import { useLogin } from "../api/login";

/** Email + password; field errors from the shared schema, a clear message for wrong credentials. */
export function SignInForm({ onSignedIn }: { onSignedIn: () => void }) {
  const login = useLogin();
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({});
  const formError = useRef<HTMLDivElement>(null);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const parsed = LoginInputSchema.safeParse({ email: String(data.get("email") ?? ""), password: String(data.get("password") ?? "") });
    if (!parsed.success) {
      const next: { email?: string; password?: string } = {};
      for (const issue of parsed.error.issues) {
        const key = issue.path[0];
        if ((key === "email" || key === "password") && !next[key]) next[key] = issue.message;
      }
      setErrors(next);
      e.currentTarget.querySelector<HTMLInputElement>(`[name=${next.email ? "email" : "password"}]`)?.focus();
      return;
    }
    setErrors({});
    login.mutate(parsed.data, {
      onSuccess: onSignedIn,
      onError: () => requestAnimationFrame(() => formError.current?.focus()),
    });
  };
  const error = login.error;
  return (
    <form onSubmit={submit} noValidate className="stack">
      {error && (
        <div ref={formError} tabIndex={-1} className="alert alert-error" role="alert">
          <p className="alert-title">{isApiError(error, 401) ? "Wrong email or password" : "Could not sign in"}</p>
          <p>
            {isApiError(error, 401)
              ? "Check both and try again. Passwords are case-sensitive."
              : isApiError(error, 429)
                ? error.message
                : error.message}
          </p>
        </div>
      )}
      <Field label="Email" error={errors.email}>
        <input name="email" type="email" autoComplete="username" required className="input" />
      </Field>
      <Field label="Password" error={errors.password}>
        <input name="password" type="password" autoComplete="current-password" required className="input" />
      </Field>
      <button type="submit" className="btn btn-primary btn-block" disabled={login.isPending}>
        {login.isPending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
