/**
 * The action workflow authors use (packages/action, see docs/token-service.md). Where it is
 * published is a deployment decision: change it here (the one place) when it is.
 */
export const ACTION_REF = "oidc-connections/oidc-connections/packages/action@main";

/**
 * A ready-to-paste GitHub Actions job for this connection: it exchanges the job's ID token and logs
 * in to the registry (`registry`: the deployment's REGISTRY_SERVICE, default this server's host)
 * as `username` (the org slug, by convention; the registry token service records it).
 */
export function workflowSnippet(
  connectionId: string,
  origin: string,
  options: { registry?: string | undefined; username?: string | undefined } = {},
): string {
  const host = options.registry ?? origin.replace(/^https?:\/\//, "");
  const username = options.username ?? "oidc";
  return `permissions:
  id-token: write   # lets the job request a GitHub OIDC ID token
  contents: read

jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Exchange the GitHub ID token for an access token
        id: oidc
        uses: ${ACTION_REF}
        with:
          connection_id: ${connectionId}
          url: ${origin}
      - name: Log in to the registry
        run: echo "\${{ steps.oidc.outputs.token }}" | docker login ${host} --username ${username} --password-stdin
      # Then push and pull the repositories the connection grants, e.g.
      #   docker push ${host}/${username === "oidc" ? "<org>" : username}/<repository>:<tag>
`;
}
