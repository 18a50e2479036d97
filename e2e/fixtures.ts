import { randomUUID } from "node:crypto";
import AxeBuilder from "@axe-core/playwright";
import { type Connection, type ConnectionCreate, ID_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from "@oidc/shared";
import { type APIRequestContext, type APIResponse, test as base, expect, type Page, request } from "@playwright/test";
import { paths } from "../apps/console/src/lib/paths";
import { BASE_URL, ORG, USERS } from "./support/env";

export const uniqueName = (prefix: string) => `${prefix} ${randomUUID().slice(0, 8)}`;

export const defaultConnection = (name: string): ConnectionCreate => ({
  name,
  description: "Created by the e2e suite",
  type: "github-actions",
  rulesets: [
    {
      label: "main branch",
      subject: `repo:${ORG}/api:ref:refs/heads/main`,
      resources: [`${ORG}/api`],
      scopes: ["pull", "push"],
    },
  ],
});

const connectionsUrl = `/api/orgs/${ORG}/oidc-connections`;

interface Fixtures {
  /** The admin's API session; writes carry Origin, as the browser's would. */
  adminApi: APIRequestContext;
  /** Creates a connection through the API with a unique name; deleted after the test. */
  createConnection: (body?: Partial<ConnectionCreate>) => Promise<Connection>;
  /** Mints an ID token with these claims at the development issuer and exchanges it for the connection, as the admin's API session. */
  exchange: (connectionId: string, claims: Record<string, unknown>) => Promise<APIResponse>;
  /** Remembers a connection created through the UI, so that it is deleted after the test. */
  trackConnection: (id: string) => void;
  /** Runs axe and fails on serious or critical violations. */
  expectAccessible: (page: Page, context: string) => Promise<void>;
}

export const test = base.extend<Fixtures>({
  storageState: USERS.admin.storageState,
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads fixture dependencies from the destructuring
  adminApi: async ({}, use) => {
    const api = await request.newContext({
      baseURL: BASE_URL,
      storageState: USERS.admin.storageState,
      extraHTTPHeaders: { Origin: BASE_URL },
    });
    await use(api);
    await api.dispose();
  },
  trackConnection: async ({ adminApi }, use) => {
    const ids: string[] = [];
    await use((id) => ids.push(id));
    for (const id of ids) await adminApi.delete(`${connectionsUrl}/${id}`);
  },
  createConnection: async ({ adminApi }, use) => {
    const ids: string[] = [];
    await use(async (body = {}) => {
      const name = body.name ?? uniqueName("e2e");
      const res = await adminApi.post(connectionsUrl, { data: { ...defaultConnection(name), ...body, name } });
      expect(res.status(), await res.text()).toBe(201);
      const created = (await res.json()) as Connection;
      ids.push(created.id);
      return created;
    });
    for (const id of ids) {
      const res = await adminApi.delete(`${connectionsUrl}/${id}`);
      expect([204, 404]).toContain(res.status());
    }
  },
  exchange: async ({ adminApi }, use) => {
    await use(async (connectionId, claims) => {
      const minted = await adminApi.post("/dev-issuer/token", { data: { claims } });
      expect(minted.status(), await minted.text()).toBe(200);
      const { token } = (await minted.json()) as { token: string };
      return adminApi.post("/oauth/token", {
        form: {
          grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
          subject_token_type: ID_TOKEN_TYPE,
          subject_token: token,
          connection_id: connectionId,
        },
      });
    });
  },
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads fixture dependencies from the destructuring
  expectAccessible: async ({}, use) => {
    await use(async (page, context) => {
      const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
      const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      const summary = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ")).join("\n  ")}`);
      expect(summary, `axe violations on ${context}`).toEqual([]);
    });
  },
});

/** The console's own URL builders (`apps/console/src/lib/paths.ts`, whose unit test pins the strings). */
export { expect, paths };
/** The org's connections page, or a connection's (with a sub-path: `connectionPath(`${id}/activity`)`). */
export const connectionPath = (id = "") => `${paths.connections(ORG)}${id ? `/${id}` : ""}`;
