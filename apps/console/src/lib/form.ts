import { zodResolver } from "@hookform/resolvers/zod";
import { issueKey } from "@oidc/shared";
import { type FieldError, type FieldErrors, type FieldValues, get, type Resolver, set } from "react-hook-form";
import type { z } from "zod";
import type { ApiIssue } from "./api-client";

/**
 * Helpers around react-hook-form shared by the console's forms (see docs/console.md, "Forms").
 *
 * The schema's errors come from the zod resolver; the server's 400/409 `issues` are kept here with
 * the value each was about, and the resolver reports them for as long as that value is unchanged:
 * editing the field clears its server error (the library re-validates it), submitting again without
 * touching it is refused again, and focus goes to the first field in error either way.
 */
export interface ServerIssue {
  /** The field's dotted name, from the issue's path: `rulesets.0.subject`. */
  name: string;
  message: string;
  /** The field it is about: the list for an item of one (`rulesets.0.resources` for `rulesets.0.resources.1`). */
  field: string;
  /** That field's value when the server answered (form values are JSON-like). */
  value: string;
}

const snapshot = (value: unknown) => JSON.stringify(value) ?? "";

/** The server's issues for these form values; an issue about the whole body (empty path) is left to the form's alert. */
export function serverIssues(issues: readonly ApiIssue[], values: FieldValues): ServerIssue[] {
  return issues.flatMap((issue) => {
    const name = issueKey(issue.path);
    const field = name.replace(/\.\d+$/, "");
    return name ? [{ name, message: issue.message, field, value: snapshot(get(values, field)) }] : [];
  });
}

/** `resolver`, plus the server issues whose field still holds the value they were about. */
export function withServerIssues<V extends FieldValues, C, O>(
  resolver: Resolver<V, C, O>,
  current: () => readonly ServerIssue[],
): Resolver<V, C, O> {
  return async (values, context, options) => {
    const result = await resolver(values, context, options);
    const pending = current().filter((i) => snapshot(get(values, i.field)) === i.value && !get(result.errors, i.name));
    if (!pending.length) return result;
    const errors = { ...result.errors } as FieldErrors<V>;
    for (const i of pending) set(errors, i.name, { type: "server", message: i.message } satisfies FieldError);
    return { values: {}, errors };
  };
}

/** The message at `name` (dotted), or the first one below it (e.g. `rulesets.0.resources.1` for `rulesets.0.resources`). */
export function errorMessage(errors: FieldErrors | undefined, name: string): string | undefined {
  return firstMessage(name ? get(errors, name) : errors);
}

function firstMessage(node: unknown): string | undefined {
  if (!node || typeof node !== "object") return undefined;
  const { message, root, ref: _ref, type: _type, types: _types, ...children } = node as Record<string, unknown>;
  if (typeof message === "string" && message) return message;
  const fromRoot = firstMessage(root);
  if (fromRoot) return fromRoot;
  for (const child of Object.values(children)) {
    const found = firstMessage(child);
    if (found) return found;
  }
  return undefined;
}

/** The message of an array field itself (its length, e.g. "Add at least one ruleset"), not of its items. */
export function ownMessage(errors: FieldErrors | undefined, name: string): string | undefined {
  const node = get(errors, name) as { message?: unknown; root?: { message?: unknown } } | undefined;
  const own = node?.root?.message ?? node?.message;
  return typeof own === "string" && own ? own : undefined;
}

/**
 * A resolver for form values `V` that are not the request body itself (local keys, a select's
 * string): `toBody` builds the body, the shared schema checks it, and its issues land at the same
 * paths in the form (so `toBody` keeps the form's field names). A valid submit hands over the parsed body.
 */
export const bodyResolver =
  <V extends FieldValues>() =>
  <S extends z.ZodType<FieldValues, FieldValues>>(schema: S, toBody: (values: V) => z.input<S>): Resolver<V, unknown, z.output<S>> => {
    const resolver = zodResolver(schema as z.ZodType<FieldValues, FieldValues>);
    return (values, context, options) =>
      resolver(toBody(values), context, options as unknown as Parameters<typeof resolver>[2]) as ReturnType<
        Resolver<V, unknown, z.output<S>>
      >;
  };
