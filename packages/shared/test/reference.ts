import fc from "fast-check";

/**
 * The obviously correct matcher the real one is checked against (SPEC §4.1): memoised recursion
 * over code points. Slow (O(|pattern| × |value|) memory, deep recursion), fine for short inputs.
 */
export function referenceMatch(pattern: string, value: string): boolean {
  const p = Array.from(pattern);
  const v = Array.from(value);
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (v.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === p.length) result = j === v.length;
    else if (p[i] === "*") result = go(i + 1, j) || (j < v.length && go(i, j + 1));
    else result = j < v.length && (p[i] === "?" || p[i] === v[j]) && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** An astral character: one code point, two UTF-16 units. */
export const ASTRAL = "😀";

/** Edits that turn a value into a pattern still matching it: a run (possibly empty) becomes `*`, or a literal becomes `?`. */
export type Edit = readonly [at: number, length: number, star: boolean];

export const editsArb: fc.Arbitrary<Edit[]> = fc.array(fc.tuple(fc.nat(300), fc.nat(4), fc.boolean()), { maxLength: 6 });

/** Applies edits to a value without `*` or `?`; the result matches the value. */
export function derivePattern(value: string, edits: readonly Edit[]): string {
  // Each entry is a token of the pattern; `literal` marks tokens still aligned to exactly one code point.
  const tokens = Array.from(value, (c) => ({ token: c, literal: true }));
  for (const [at, length, star] of edits) {
    const i = at % (tokens.length + 1);
    if (star) tokens.splice(i, length, { token: "*", literal: false });
    else {
      const t = tokens[i];
      if (t?.literal) tokens[i] = { token: "?", literal: true };
    }
  }
  return tokens.map((t) => t.token).join("");
}

/** GitHub subjects in both formats, with default and customised contexts. */
export const githubSubjectArb: fc.Arbitrary<string> = fc
  .record({
    owner: fc.constantFrom("octo-org", "a", "Octo_1"),
    repo: fc.constantFrom("api", "b.c", "x-y_z"),
    ids: fc.constantFrom(null, ["@1", "@42"], ["@123456", "@456789"]),
    context: fc.constantFrom(
      "ref:refs/heads/main",
      "ref:refs/heads/release-1.2",
      "ref:refs/heads/feat/x:y",
      "ref:refs/tags/v1",
      "ref:refs/pull/7/merge",
      "environment:production",
      "environment:prod-eu",
      "pull_request",
      "job_workflow_ref:octo-org/wf/.github/workflows/deploy.yml@refs/heads/main",
      "environment:prod:job_workflow_ref:octo-org/wf/.github/workflows/d.yml@refs/tags/v2",
      "workflow:CI",
    ),
  })
  .map(({ owner, repo, ids, context }) => `repo:${owner}${ids?.[0] ?? ""}/${repo}${ids?.[1] ?? ""}:${context}`);
