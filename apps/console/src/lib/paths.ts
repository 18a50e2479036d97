/**
 * Every in-app URL of an organisation's pages, built in one place (the router's patterns in
 * `app/router.tsx` are their counterparts). Slugs and IDs are URL-safe by their schemas; they are
 * encoded anyway so that a malformed value cannot change the path.
 */
const seg = encodeURIComponent;

const org = (slug: string) => `/orgs/${seg(slug)}`;
const connections = (slug: string) => `${org(slug)}/oidc-connections`;
const connection = (slug: string, id: string) => `${connections(slug)}/${seg(id)}`;

export const paths = {
  org,
  connections,
  newConnection: (slug: string) => `${connections(slug)}/new`,
  connection,
  /** The connection's page right after it was created: shows the "Connection created" banner. */
  createdConnection: (slug: string, id: string) => `${connection(slug, id)}?created=1`,
  editConnection: (slug: string, id: string) => `${connection(slug, id)}/edit`,
  connectionActivity: (slug: string, id: string) => `${connection(slug, id)}/activity`,
  connectionTest: (slug: string, id: string) => `${connection(slug, id)}/test`,
  apiTokens: (slug: string) => `${org(slug)}/api-tokens`,
  policy: (slug: string) => `${org(slug)}/policy`,
  auditLog: (slug: string) => `${org(slug)}/audit-log`,
  webhooks: (slug: string) => `${org(slug)}/webhooks`,
} as const;
