import { ConnectionCreateSchema, ConnectionPatchSchema, MAX_TOKEN_TTL, type RulesetPatchSchema, type Scope } from "@oidc/shared";
import type { z } from "zod";
import { bodyResolver } from "../../../lib/form";
import type { Connection } from "../api/get-connection";

type RulesetFields = z.input<typeof RulesetPatchSchema>;
type ConnectionFields = z.input<typeof ConnectionCreateSchema>;

/**
 * A ruleset being edited: the shared schema's input, with every list present. `key` is local (it
 * survives a re-apply after a concurrent edit), `id` is the saved ruleset's, kept on edit.
 */
export type RulesetDraft = Required<Pick<RulesetFields, "label" | "subject" | "conditions" | "resources" | "scopes">> &
  Pick<RulesetFields, "id" | "mode" | "expiresAt"> & { key: string };

/** The connection form's values: the create schema's input (`issuer` only on create; undefined is GitHub Actions'). */
export type ConnectionDraft = Required<Pick<ConnectionFields, "name" | "description" | "type" | "maxTokenTtlSeconds">> &
  Pick<ConnectionFields, "issuer"> & { rulesets: RulesetDraft[] };

let counter = 0;
export const newKey = () => `r${++counter}-${Math.random().toString(36).slice(2, 7)}`;

export function emptyRuleset(index: number): RulesetDraft {
  return {
    key: newKey(),
    label: index === 0 ? "main branch" : `ruleset ${index + 1}`,
    subject: "",
    conditions: [],
    resources: [],
    scopes: ["pull"],
    mode: "enforce",
    expiresAt: null,
  };
}

export function emptyDraft(): ConnectionDraft {
  return {
    name: "",
    description: "",
    type: "github-actions",
    issuer: undefined,
    maxTokenTtlSeconds: MAX_TOKEN_TTL,
    rulesets: [emptyRuleset(0)],
  };
}

export function draftFromConnection(c: Connection): ConnectionDraft {
  return {
    name: c.name,
    description: c.description,
    type: "github-actions",
    maxTokenTtlSeconds: c.maxTokenTtlSeconds,
    rulesets: c.rulesets.map((r) => ({
      key: r.id,
      id: r.id,
      label: r.label,
      subject: r.subject,
      conditions: r.conditions.map((x) => ({ ...x })),
      resources: [...r.resources],
      scopes: [...r.scopes],
      mode: r.mode,
      expiresAt: r.expiresAt,
    })),
  };
}

const rulesetBody = (r: RulesetDraft) => ({
  label: r.label,
  subject: r.subject,
  conditions: r.conditions,
  resources: r.resources,
  scopes: r.scopes,
  mode: r.mode ?? "enforce",
  expiresAt: r.expiresAt ?? null,
});

/** The create body of a draft (not yet validated): local keys left out, defaults filled in. */
export const createBody = (draft: ConnectionDraft) => ({
  name: draft.name,
  description: draft.description,
  type: draft.type,
  ...(draft.issuer ? { issuer: draft.issuer } : {}),
  maxTokenTtlSeconds: draft.maxTokenTtlSeconds,
  rulesets: draft.rulesets.map(rulesetBody),
});

/** The PATCH body of a draft (not yet validated); kept rulesets keep their id. */
export const patchBody = (draft: ConnectionDraft) => ({
  name: draft.name,
  description: draft.description,
  maxTokenTtlSeconds: draft.maxTokenTtlSeconds,
  rulesets: draft.rulesets.map((r) => ({ ...(r.id ? { id: r.id } : {}), ...rulesetBody(r) })),
});

/**
 * The form library's resolvers: the draft is turned into the request body and checked with the
 * shared schema, so the form's errors sit at the same paths as the API's `issues`, and a valid
 * submit hands over the parsed body.
 */
export const createResolver = bodyResolver<ConnectionDraft>()(ConnectionCreateSchema, createBody);
export const patchResolver = bodyResolver<ConnectionDraft>()(ConnectionPatchSchema, patchBody);

export const SCOPE_PRESETS: { label: string; scopes: Scope[] }[] = [
  { label: "Read-only", scopes: ["pull"] },
  { label: "Read & write", scopes: ["pull", "push"] },
  { label: "Full access", scopes: ["pull", "push", "delete"] },
];

export const SCOPE_LABELS: Record<Scope, string> = {
  pull: "pull — read images",
  push: "push — publish images",
  delete: "delete — remove images and tags",
};
