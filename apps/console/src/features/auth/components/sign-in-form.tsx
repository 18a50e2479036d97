import { zodResolver } from "@hookform/resolvers/zod";
import { type LoginInput, LoginInputSchema } from "@oidc/shared";
import { useRef } from "react";
import { useForm } from "react-hook-form";
import { Field } from "../../../components/ui/field";
import { isApiError } from "../../../lib/api-client";
import { errorMessage } from "../../../lib/form";
import { useLogin } from "../api/login";

const loginResolver = zodResolver(LoginInputSchema);

/** Email + password; field errors from the shared schema, a clear message for wrong credentials. */
export function SignInForm({ onSignedIn }: { onSignedIn: () => void }) {
  const login = useLogin();
  const {
    register,
    handleSubmit,
    formState: { errors },
  } = useForm<LoginInput>({ defaultValues: { email: "", password: "" }, resolver: loginResolver });
  const formError = useRef<HTMLDivElement>(null);
  // The library focuses the first field in error (email, then password) when the schema refuses.
  const submit = handleSubmit((input) =>
    login.mutate(input, {
      onSuccess: onSignedIn,
      onError: () => requestAnimationFrame(() => formError.current?.focus()),
    }),
  );
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
      <Field label="Email" error={errorMessage(errors, "email")}>
        <input type="email" autoComplete="username" required className="input" {...register("email")} />
      </Field>
      <Field label="Password" error={errorMessage(errors, "password")}>
        <input type="password" autoComplete="current-password" required className="input" {...register("password")} />
      </Field>
      <button type="submit" className="btn btn-primary btn-block" disabled={login.isPending}>
        {login.isPending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
