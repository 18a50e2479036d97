import { type Connection, type ConnectionFileEntry, type ConnectionStatus, GITHUB_ACTIONS_ISSUER, ruleOf, sortScopes } from "@oidc/shared";

type RulesetOut = ConnectionFileEntry["rulesets"][number];

/** One line of a change, like `terraform plan`: `+` added, `~` changed (old → new), `-` removed. */
export interface Line {
  sign: "+" | "~" | "-" | " ";
  text: string;
  depth: number;
}

export type Step =
  | { kind: "create"; name: string; entry: ConnectionFileEntry; lines: Line[] }
  | {
      kind: "update";
      name: string;
      current: Connection;
      patch: Record<string, unknown> | undefined;
      status: ConnectionStatus | undefined;
      lines: Line[];
    }
  | { kind: "delete"; name: string; current: Connection; lines: Line[] };

export interface Plan {
  steps: Step[];
  /** Connections the file does not name, kept because --prune was not given. */
  kept: string[];
  /** Changes the API cannot make (e.g. a new issuer): the plan is refused. */
  errors: string[];
}

const show = (v: unknown) => JSON.stringify(v);
const lower = (s: string) => s.toLowerCase();
const normIssuer = (s: string | undefined) => (s ?? GITHUB_ACTIONS_ISSUER).replace(/\/+$/, "");

/** The ruleset as the server would store it (for comparison): scopes in canonical order. */
function rulesetKey(r: {
  subject: string;
  conditions: unknown[];
  resources: string[];
  scopes: ("pull" | "push" | "delete")[];
  mode: "enforce" | "audit";
  expiresAt: string | null;
}) {
  return {
    subject: r.subject,
    conditions: r.conditions,
    resources: r.resources.map(lower),
    scopes: sortScopes(r.scopes),
    mode: r.mode,
    // The server answers in UTC with milliseconds; the file may say the same instant otherwise.
    expiresAt: r.expiresAt === null ? null : new Date(r.expiresAt).toISOString(),
  };
}

function rulesetLines(r: RulesetOut, sign: "+" | "-", depth: number): Line[] {
  const lines: Line[] = [{ sign, text: `ruleset ${show(r.label)}`, depth }];
  lines.push({ sign, text: `subject: ${show(r.subject)}`, depth: depth + 1 });
  if (r.conditions.length) lines.push({ sign, text: `conditions: ${show(r.conditions)}`, depth: depth + 1 });
  lines.push({ sign, text: `resources: ${show(r.resources)}`, depth: depth + 1 });
  lines.push({ sign, text: `scopes: ${show(r.scopes)}`, depth: depth + 1 });
  if (r.mode === "audit") lines.push({ sign, text: `mode: ${show(r.mode)}`, depth: depth + 1 });
  if (r.expiresAt) lines.push({ sign, text: `expiresAt: ${show(r.expiresAt)}`, depth: depth + 1 });
  return lines;
}

/**
 * What `apply` would do to make the org match the file: connections keyed by name and rulesets by
 * label (both ignoring case, as the server does); a kept ruleset keeps its id and history.
 */
export function computePlan(current: Connection[], desired: ConnectionFileEntry[], prune: boolean): Plan {
  const steps: Step[] = [];
  const errors: string[] = [];
  const byName = new Map(current.map((c) => [lower(c.name), c]));
  const named = new Set(desired.map((d) => lower(d.name)));

  for (const entry of desired) {
    const existing = byName.get(lower(entry.name));
    if (!existing) {
      const lines: Line[] = [];
      if (entry.description) lines.push({ sign: "+", text: `description: ${show(entry.description)}`, depth: 1 });
      if (entry.issuer) lines.push({ sign: "+", text: `issuer: ${show(entry.issuer)}`, depth: 1 });
      lines.push({ sign: "+", text: `maxTokenTtlSeconds: ${entry.maxTokenTtlSeconds}`, depth: 1 });
      if (entry.status !== "active") lines.push({ sign: "+", text: `status: ${show(entry.status)}`, depth: 1 });
      for (const r of entry.rulesets) lines.push(...rulesetLines(r, "+", 1));
      steps.push({ kind: "create", name: entry.name, entry, lines });
      continue;
    }
    const lines: Line[] = [];
    const patch: Record<string, unknown> = {};
    if (existing.name !== entry.name) {
      lines.push({ sign: "~", text: `name: ${show(existing.name)} → ${show(entry.name)}`, depth: 1 });
      patch.name = entry.name;
    }
    if (existing.description !== entry.description) {
      lines.push({ sign: "~", text: `description: ${show(existing.description)} → ${show(entry.description)}`, depth: 1 });
      patch.description = entry.description;
    }
    if (existing.maxTokenTtlSeconds !== entry.maxTokenTtlSeconds) {
      lines.push({ sign: "~", text: `maxTokenTtlSeconds: ${existing.maxTokenTtlSeconds} → ${entry.maxTokenTtlSeconds}`, depth: 1 });
      patch.maxTokenTtlSeconds = entry.maxTokenTtlSeconds;
    }
    if (normIssuer(existing.issuer) !== normIssuer(entry.issuer))
      errors.push(
        `${show(existing.name)}: the issuer cannot change (${existing.issuer} → ${normIssuer(entry.issuer)}); create a connection under another name, move the workflows to its ID, then remove this one`,
      );

    // Rulesets: matched by label; the full new list is sent when anything differs.
    const currentByLabel = new Map(existing.rulesets.map((r) => [lower(r.label), r]));
    const wanted = new Set(entry.rulesets.map((r) => lower(r.label)));
    const rulesetLinesOut: Line[] = [];
    for (const r of entry.rulesets) {
      const old = currentByLabel.get(lower(r.label));
      if (!old) {
        rulesetLinesOut.push(...rulesetLines(r, "+", 1));
        continue;
      }
      const changes: Line[] = [];
      if (old.label !== r.label) changes.push({ sign: "~", text: `label: ${show(old.label)} → ${show(r.label)}`, depth: 2 });
      const a = rulesetKey(old);
      const b = rulesetKey(r);
      for (const key of ["subject", "conditions", "resources", "scopes", "mode", "expiresAt"] as const) {
        if (show(a[key]) !== show(b[key])) {
          const before = key === "resources" ? old.resources : key === "scopes" ? a.scopes : a[key];
          const after = key === "resources" ? r.resources : key === "scopes" ? b.scopes : b[key];
          changes.push({ sign: "~", text: `${key}: ${show(before)} → ${show(after)}`, depth: 2 });
        }
      }
      if (changes.length) rulesetLinesOut.push({ sign: "~", text: `ruleset ${show(r.label)}`, depth: 1 }, ...changes);
    }
    for (const old of existing.rulesets) {
      if (!wanted.has(lower(old.label))) rulesetLinesOut.push(...rulesetLines({ ...old, conditions: old.conditions }, "-", 1));
    }
    const oldOrder = existing.rulesets.filter((r) => wanted.has(lower(r.label))).map((r) => lower(r.label));
    const newOrder = entry.rulesets.filter((r) => currentByLabel.has(lower(r.label))).map((r) => lower(r.label));
    if (show(oldOrder) !== show(newOrder))
      rulesetLinesOut.push({
        sign: "~",
        text: `ruleset order: ${show(existing.rulesets.map((r) => r.label))} → ${show(entry.rulesets.map((r) => r.label))}`,
        depth: 1,
      });
    if (rulesetLinesOut.length) {
      lines.push(...rulesetLinesOut);
      patch.rulesets = entry.rulesets.map((r) => {
        const old = currentByLabel.get(lower(r.label));
        return {
          ...(old ? { id: old.id } : {}),
          ...ruleOf(r),
          expiresAt: r.expiresAt,
        };
      });
    }
    const status = existing.status !== entry.status ? entry.status : undefined;
    if (status) lines.push({ sign: "~", text: `status: ${show(existing.status)} → ${show(status)}`, depth: 1 });
    if (lines.length)
      steps.push({
        kind: "update",
        name: existing.name,
        current: existing,
        patch: Object.keys(patch).length ? patch : undefined,
        status,
        lines,
      });
  }

  const kept: string[] = [];
  for (const c of current) {
    if (named.has(lower(c.name))) continue;
    if (!prune) {
      kept.push(c.name);
      continue;
    }
    steps.push({
      kind: "delete",
      name: c.name,
      current: c,
      lines: c.rulesets.map((r) => ({ sign: "-" as const, text: `ruleset ${show(r.label)}`, depth: 1 })),
    });
  }
  return { steps, kept, errors };
}

const HEAD = { create: "+", update: "~", delete: "-" } as const;

/** The plan as text, e.g. `~ connection "Deploy" (id …)` then its field changes, then a summary line. */
export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  for (const step of plan.steps) {
    const id = step.kind === "create" ? "" : ` (id ${step.current.id})`;
    const verb = step.kind === "create" ? "will be created" : step.kind === "update" ? "will be changed" : "will be deleted";
    out.push(`${HEAD[step.kind]} connection ${show(step.name)}${id} ${verb}`);
    for (const line of step.lines) out.push(`${"    ".repeat(line.depth)}${line.sign} ${line.text}`);
    out.push("");
  }
  if (plan.kept.length) out.push(`Not in the file and kept (use --prune to delete): ${plan.kept.map(show).join(", ")}`, "");
  const count = (k: Step["kind"]) => plan.steps.filter((s) => s.kind === k).length;
  out.push(
    plan.steps.length
      ? `Plan: ${count("create")} to create, ${count("update")} to change, ${count("delete")} to delete.`
      : "No changes: the organisation matches the file.",
  );
  return `${out.join("\n")}\n`;
}
