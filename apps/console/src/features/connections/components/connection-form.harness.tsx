import type { OrgPolicySettings } from "@oidc/shared";
import { useEffect } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { type ConnectionDraft, emptyDraft } from "../lib/draft";
import { ConnectionForm, type OrgInfo } from "./connection-form";

/** For component tests: the connection form in its own react-hook-form, optionally with server errors set at dotted paths. */
export function ConnectionFormHarness({
  initial = emptyDraft(),
  errors = {},
  repositories,
  org,
  policy,
}: {
  initial?: ConnectionDraft;
  errors?: Record<string, string>;
  repositories: { name: string; fullName: string }[];
  org: OrgInfo;
  policy?: OrgPolicySettings;
}) {
  const form = useForm<ConnectionDraft>({ defaultValues: initial });
  const { setError } = form;
  useEffect(() => {
    for (const [name, message] of Object.entries(errors)) setError(name as `rulesets.${number}.subject`, { type: "server", message });
  }, [errors, setError]);
  return (
    <FormProvider {...form}>
      <ConnectionForm repositories={repositories} org={org} policy={policy} />
    </FormProvider>
  );
}
