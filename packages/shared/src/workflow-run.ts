/**
 * Links from a token event to the GitHub workflow run that asked for the token. GitHub's ID tokens
 * carry `repository`, `run_id` and `run_attempt` but not the server's URL: that follows from the
 * issuer the connection trusts (github.com, a GHE.com subdomain, or a GitHub Enterprise Server).
 */

/** The GitHub web address behind an Actions OIDC issuer, or null for an issuer of another shape. */
export function githubServerUrl(issuer: string): string | null {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" || url.username || url.password || url.port) return null;
  const path = url.pathname.replace(/\/+$/, "");
  if (url.hostname === "token.actions.githubusercontent.com" && path === "") return "https://github.com";
  const ghe = /^token\.actions\.([a-z0-9-]+)\.ghe\.com$/.exec(url.hostname);
  if (ghe && path === "") return `https://${ghe[1]}.ghe.com`;
  if (path === "/_services/token") return `https://${url.hostname}`;
  return null;
}

export interface WorkflowRunRef {
  serverUrl?: unknown;
  repository?: unknown;
  runId?: unknown;
  runAttempt?: unknown;
}

const REPOSITORY = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;
const SERVER = /^https:\/\/[a-z0-9.-]+$/;

/** `<server>/<owner>/<repo>/actions/runs/<id>[/attempts/<n>]`, or null when a part is missing or malformed. */
export function workflowRunUrl({ serverUrl, repository, runId, runAttempt }: WorkflowRunRef): string | null {
  if (typeof serverUrl !== "string" || !SERVER.test(serverUrl)) return null;
  if (typeof repository !== "string" || !REPOSITORY.test(repository)) return null;
  if (repository.split("/").some((part) => /^\.+$/.test(part))) return null;
  if (typeof runId !== "string" || !/^[1-9][0-9]{0,19}$/.test(runId)) return null;
  const attempt = typeof runAttempt === "string" && /^[2-9]$|^[1-9][0-9]{1,3}$/.test(runAttempt) ? `/attempts/${runAttempt}` : "";
  return `${serverUrl}/${repository}/actions/runs/${runId}${attempt}`;
}
