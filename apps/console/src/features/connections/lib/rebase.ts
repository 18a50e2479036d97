import type { ConnectionDraft, RulesetDraft } from "./draft";

/**
 * After a 412 (someone saved first): what the other person changed, and the admin's draft
 * re-applied on top of the latest version — a three-way merge of base (what the form loaded),
 * mine (the draft) and theirs (the latest version), field by field and ruleset by ruleset (by id).
 * Where both changed the same field, mine wins and the field is reported, so the admin can review it.
 */

type Field = "name" | "description" | "maxTokenTtlSeconds";
type RulesetField = "label" | "subject" | "conditions" | "resources" | "scopes" | "mode" | "expiresAt";

const FIELDS: { key: Field; label: string }[] = [
  { key: "name", label: "Name" },
  { key: "description", label: "Description" },
  { key: "maxTokenTtlSeconds", label: "Maximum token lifetime" },
];
const RULESET_FIELDS: RulesetField[] = ["label", "subject", "conditions", "resources", "scopes", "mode", "expiresAt"];

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const byId = (list: RulesetDraft[]) => new Map(list.filter((r) => r.id).map((r) => [r.id as string, r]));

/** What changed from `base` to `theirs`, one line each, in the words of the form. */
export function describeChanges(base: ConnectionDraft, theirs: ConnectionDraft): string[] {
  const lines: string[] = [];
  for (const { key, label } of FIELDS) if (!same(base[key], theirs[key])) lines.push(`${label}: “${base[key]}” → “${theirs[key]}”`);
  const before = byId(base.rulesets);
  const after = byId(theirs.rulesets);
  for (const r of theirs.rulesets) {
    const old = r.id ? before.get(r.id) : undefined;
    if (!old) lines.push(`Ruleset “${r.label}” added`);
    else {
      const changed = RULESET_FIELDS.filter((f) => !same(old[f], r[f]));
      if (changed.length) lines.push(`Ruleset “${old.label}”: ${changed.join(", ")} changed`);
    }
  }
  for (const r of base.rulesets) if (r.id && !after.has(r.id)) lines.push(`Ruleset “${r.label}” removed`);
  const order = (list: RulesetDraft[]) => list.filter((r) => r.id && before.has(r.id) && after.has(r.id)).map((r) => r.id);
  if (!same(order(base.rulesets), order(theirs.rulesets))) lines.push("Rulesets reordered");
  return lines;
}

function pick<T>(base: T, mine: T, theirs: T, onBoth: () => void): T {
  if (same(mine, base)) return theirs;
  if (!same(theirs, base) && !same(theirs, mine)) onBoth();
  return mine;
}

export interface Rebased {
  draft: ConnectionDraft;
  /** Fields both people changed (mine kept): worth a look before saving. */
  overlaps: string[];
}

/** The draft's changes (relative to `base`) applied on top of `theirs`. */
export function rebaseDraft(base: ConnectionDraft, mine: ConnectionDraft, theirs: ConnectionDraft): Rebased {
  const overlaps: string[] = [];
  const draft: ConnectionDraft = { ...theirs };
  for (const { key, label } of FIELDS)
    (draft as unknown as Record<Field, unknown>)[key] = pick(base[key], mine[key], theirs[key], () => overlaps.push(label));

  const baseRs = byId(base.rulesets);
  const mineRs = byId(mine.rulesets);
  const theirRs = byId(theirs.rulesets);
  /** Kept rulesets, merged; keyed by id. */
  const merged = new Map<string, RulesetDraft>();
  for (const t of theirs.rulesets) {
    const b = t.id ? baseRs.get(t.id) : undefined;
    const m = t.id ? mineRs.get(t.id) : undefined;
    if (!b || !t.id) continue; // added by them: placed below
    if (!m) {
      // I removed it; if they changed it meanwhile, say so (my removal still wins).
      if (!same({ ...b, key: "" }, { ...t, key: "" })) overlaps.push(`Ruleset “${b.label}” (you removed it; it was changed)`);
      continue;
    }
    const r: RulesetDraft = { ...t, key: m.key };
    for (const f of RULESET_FIELDS)
      (r as unknown as Record<RulesetField, unknown>)[f] = pick(b[f], m[f], t[f], () => overlaps.push(`Ruleset “${m.label}”: ${f}`));
    merged.set(t.id, r);
  }
  /** Mine, in my order: kept (merged), new, or changed after they removed it (kept as new). */
  const fromMine: RulesetDraft[] = [];
  for (const m of mine.rulesets) {
    if (!m.id) fromMine.push(m);
    else if (merged.has(m.id)) fromMine.push(merged.get(m.id) as RulesetDraft);
    else if (!theirRs.has(m.id)) {
      const b = baseRs.get(m.id);
      if (b && !same({ ...b, key: "" }, { ...m, key: "" })) {
        fromMine.push({ ...m, id: undefined });
        overlaps.push(`Ruleset “${m.label}” (removed by them; your changed version is kept as a new ruleset)`);
      }
    }
  }
  // Their order wins only when they reordered the rulesets we both had; else mine.
  const common = (list: RulesetDraft[]) => list.filter((r) => r.id && baseRs.has(r.id) && theirRs.has(r.id)).map((r) => r.id);
  const theyReordered = !same(common(theirs.rulesets), common(base.rulesets));
  let rulesets: RulesetDraft[];
  if (theyReordered) {
    const mineNew = fromMine.filter((r) => !r.id);
    rulesets = [
      ...theirs.rulesets.flatMap((t) => (t.id && baseRs.has(t.id) ? (merged.has(t.id) ? [merged.get(t.id) as RulesetDraft] : []) : [t])),
      ...mineNew,
    ];
  } else {
    rulesets = [...fromMine];
    // Theirs added: after the ruleset that precedes it in their list, else first.
    theirs.rulesets.forEach((t, i) => {
      if (t.id && baseRs.has(t.id)) return;
      let at = 0;
      for (let j = i - 1; j >= 0; j--) {
        const prev = theirs.rulesets[j];
        const found = rulesets.findIndex((r) => r.id !== undefined && r.id === prev?.id);
        if (found >= 0) {
          at = found + 1;
          break;
        }
      }
      rulesets.splice(at, 0, t);
    });
  }
  draft.rulesets = rulesets;
  return { draft, overlaps };
}
