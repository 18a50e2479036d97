/**
 * Zod issue paths as the API's error `issues` carry them, and as forms key their fields: one home
 * for "which field does this issue belong to" (server error bodies, the console's forms).
 */

/** A zod issue's path with symbols (never used by our schemas) turned into strings: `["rulesets", 0, "subject"]`. */
export function issuePath(path: readonly PropertyKey[]): (string | number)[] {
  return path.map((p) => (typeof p === "number" ? p : String(p)));
}

/** The dotted key of an issue path, as form fields are named: `"rulesets.0.subject"`; `""` for the whole value. */
export const issueKey = (path: readonly PropertyKey[]): string => issuePath(path).join(".");

/** Issues keyed by their dotted path, the first message of each path. */
export function issuesByPath(issues: readonly { path: readonly PropertyKey[]; message: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues) {
    const key = issueKey(issue.path);
    if (!(key in out)) out[key] = issue.message;
  }
  return out;
}
