/**
 * Scopes of the Docker Registry v2 token protocol (SPEC §9): `<type>:<name>:<actions>`, e.g.
 * `repository:octo-org/api:pull,push`. Pure: parsing, and the intersection of what is asked with
 * what an access token grants.
 */

export type RepositoryAction = "pull" | "push" | "delete";
export const REPOSITORY_ACTIONS: readonly RepositoryAction[] = ["pull", "push", "delete"];

export interface RequestedScope {
  /** `repository`, `registry`, `repository(plugin)`, … */
  type: string;
  name: string;
  /** As asked, deduplicated, in the order asked (`*` kept). */
  actions: string[];
}

export interface RegistryAccess {
  type: "repository";
  name: string;
  actions: RepositoryAction[];
}

/** A scope the realm refuses with 400. */
export class MalformedScope extends Error {}

/** At most this many scopes per request; clients ask for one or two. */
export const MAX_SCOPES = 50;
const MAX_SCOPE_LENGTH = 512;
const TYPE = /^[a-z0-9]+(?:\([a-z0-9]+\))?$/;
const ACTION = /^(?:[a-z]+|\*)$/;
/** Distribution's repository name grammar: lowercase path components joined by `/`. */
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY_NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const MAX_NAME_LENGTH = 255;
/** Registry names outside repositories (`registry:catalog:*`). */
const OTHER_NAME = /^[A-Za-z0-9._/-]+$/;

/** One scope string. The type is up to the first `:`, the actions after the last (names may hold `:` in other types). */
export function parseScope(scope: string): RequestedScope {
  const what = JSON.stringify(scope.slice(0, 100));
  if (scope.length > MAX_SCOPE_LENGTH) throw new MalformedScope(`The scope ${what}… is longer than ${MAX_SCOPE_LENGTH} characters`);
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first < 0 || last === first)
    throw new MalformedScope(`The scope ${what} is not <type>:<name>:<actions>, e.g. repository:octo-org/api:pull,push`);
  const type = scope.slice(0, first);
  const name = scope.slice(first + 1, last);
  const actions = scope.slice(last + 1).split(",");
  if (!TYPE.test(type)) throw new MalformedScope(`The scope ${what} has an invalid resource type`);
  if (!actions.every((a) => ACTION.test(a)))
    throw new MalformedScope(`The scope ${what} has an invalid action list: write actions separated by commas, e.g. pull,push`);
  if (type === "repository") {
    if (name.length > MAX_NAME_LENGTH || !REPOSITORY_NAME.test(name))
      throw new MalformedScope(`The scope ${what} names an invalid repository: lowercase path components such as octo-org/api`);
  } else if (!OTHER_NAME.test(name)) {
    throw new MalformedScope(`The scope ${what} has an invalid resource name`);
  }
  return { type, name, actions: [...new Set(actions)] };
}

/**
 * All scopes of a request: repeated parameters, each possibly holding several scopes separated
 * by spaces (the POST form's shape). Empty values are ignored (`docker login` sends none).
 */
export function parseScopes(values: readonly string[]): RequestedScope[] {
  const scopes = values.flatMap((v) => v.split(" ")).filter((s) => s !== "");
  if (scopes.length > MAX_SCOPES) throw new MalformedScope(`At most ${MAX_SCOPES} scopes can be asked for at once`);
  return scopes.map(parseScope);
}

/** The requested scopes in one canonical form: sorted, merged per resource, actions in a fixed order. */
export function canonicalScope(scopes: readonly RequestedScope[]): string {
  const merged = new Map<string, Set<string>>();
  for (const s of scopes) {
    const key = `${s.type}:${s.name}`;
    const set = merged.get(key) ?? new Set<string>();
    for (const a of s.actions) set.add(a);
    merged.set(key, set);
  }
  const order = (a: string) => {
    const i = (REPOSITORY_ACTIONS as readonly string[]).indexOf(a);
    return i < 0 ? REPOSITORY_ACTIONS.length : i;
  };
  return [...merged]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, set]) => `${key}:${[...set].sort((a, b) => order(a) - order(b) || (a < b ? -1 : 1)).join(",")}`)
    .join(" ");
}

/** What an access token grants (SPEC §6.3 `access`), by lowercased repository name. */
function grantsByName(granted: readonly { type?: unknown; name?: unknown; actions?: unknown }[]): Map<string, Set<string>> {
  const byName = new Map<string, Set<string>>();
  for (const g of granted) {
    if (g?.type !== "repository" || typeof g.name !== "string" || !Array.isArray(g.actions)) continue;
    const key = g.name.toLowerCase();
    const set = byName.get(key) ?? new Set<string>();
    for (const a of g.actions) if (typeof a === "string") set.add(a);
    byName.set(key, set);
  }
  return byName;
}

/**
 * The registry token's `access`: for each requested repository, the requested actions (`*` = all
 * three) that the access token grants, in the order pull, push, delete; repositories with nothing
 * granted and other resource types are left out. One entry per repository, in the order asked.
 */
export function intersectAccess(
  requested: readonly RequestedScope[],
  granted: readonly { type?: unknown; name?: unknown; actions?: unknown }[],
): RegistryAccess[] {
  const grants = grantsByName(granted);
  const asked = new Map<string, Set<string>>();
  for (const scope of requested) {
    if (scope.type !== "repository") continue;
    const set = asked.get(scope.name) ?? new Set<string>();
    for (const a of scope.actions) for (const x of a === "*" ? REPOSITORY_ACTIONS : [a]) set.add(x);
    asked.set(scope.name, set);
  }
  const result: RegistryAccess[] = [];
  for (const [name, actions] of asked) {
    const allowed = grants.get(name.toLowerCase());
    if (!allowed) continue;
    const both = REPOSITORY_ACTIONS.filter((a) => actions.has(a) && allowed.has(a));
    if (both.length) result.push({ type: "repository", name, actions: both });
  }
  return result;
}
