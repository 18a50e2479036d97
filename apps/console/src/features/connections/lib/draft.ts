import { ConnectionCreateSchema, ConnectionPatchSchema, MAX_TOKEN_TTL, type Scope } from "@oidc/shared";
import type { z } from "zod";
import type { Connection } from "../api/get-connection";

/** A ruleset being edited: `key` is local (React keys), `id` is the saved ruleset's, kept on edit. */
export interface RulesetDraft {
  key: string;
  id?: string | undefined;
  label: string;
  subject: string;
  conditions: { claim: string; pattern: string }[];
  resources: string[];
  scopes: Scope[];
  /** SPEC §11: `audit` rulesets never grant; they record what they would have matched. */
  mode?: "enforce" | "audit" | undefined;
  /** ISO 8601 or null (never expires). */
  expiresAt?: string | null | undefined;
}

export interface ConnectionDraft {
  name: string;
  description: string;
  type: "github-actions";
  /** Only on create; undefined means GitHub Actions' issuer. */
  issuer?: string | undefined;
  maxTokenTtlSeconds: number;
  rulesets: RulesetDraft[];
}

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
  return { name: "", description: "", type: "github-actions", maxTokenTtlSeconds: MAX_TOKEN_TTL, rulesets: [emptyRuleset(0)] };
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

export type FieldErrors = Record<string, string>;

/** The errors left once the user edits `field`: its own (and its children's) server errors go. */
export function withoutFieldErrors(errors: FieldErrors, field: string): FieldErrors {
  const rest: FieldErrors = {};
  for (const [key, message] of Object.entries(errors)) if (key !== field && !key.startsWith(`${field}.`)) rest[key] = message;
  return rest;
}

function collect(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join(".");
    if (!(key in out)) out[key] = issue.message;
  }
  return out;
}

/** Validates the draft with the shared create schema: the parsed body, or errors keyed "rulesets.0.subject". */
export function validateCreate(draft: ConnectionDraft) {
  const parsed = ConnectionCreateSchema.safeParse({
    name: draft.name,
    description: draft.description,
    type: draft.type,
    ...(draft.issuer ? { issuer: draft.issuer } : {}),
    maxTokenTtlSeconds: draft.maxTokenTtlSeconds,
    rulesets: draft.rulesets.map(rulesetBody),
  });
  return parsed.success ? { ok: true as const, body: parsed.data } : { ok: false as const, errors: collect(parsed.error) };
}

/** The PATCH body for an edit, validated with the shared patch schema; kept rulesets keep their id. */
export function validatePatch(draft: ConnectionDraft) {
  const parsed = ConnectionPatchSchema.safeParse({
    name: draft.name,
    description: draft.description,
    maxTokenTtlSeconds: draft.maxTokenTtlSeconds,
    rulesets: draft.rulesets.map((r) => ({ ...(r.id ? { id: r.id } : {}), ...rulesetBody(r) })),
  });
  return parsed.success ? { ok: true as const, body: parsed.data } : { ok: false as const, errors: collect(parsed.error) };
}

/** Comparable form of a draft, to tell whether there are unsaved changes. */
export const draftFingerprint = (d: ConnectionDraft) => JSON.stringify({ ...d, rulesets: d.rulesets.map(({ key: _key, ...r }) => r) });

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
