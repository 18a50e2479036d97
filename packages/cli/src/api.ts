import type { Connection, ConnectionCreate, ConnectionPatch, ConnectionStatus, ConnectionSummary } from "@oidc/shared";

/** An answer of the admin API that is not a success, with its SPEC §5 error body when it has one. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly issues: { path: (string | number)[]; message: string }[] = [],
  ) {
    super(message);
    this.name = "ApiFailure";
  }
}

export interface ClientOptions {
  url: string;
  org: string;
  token: string;
  fetch?: typeof fetch;
}

/** The admin API over HTTP with an API token: the only way this tool talks to the server. */
export class AdminClient {
  private readonly base: string;
  private readonly fetch: typeof fetch;
  constructor(private readonly options: ClientOptions) {
    this.base = `${options.url.replace(/\/+$/, "")}/api/orgs/${encodeURIComponent(options.org)}`;
    this.fetch = options.fetch ?? fetch;
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ body: T; etag: string | null }> {
    let res: Response;
    try {
      res = await this.fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept: "application/json",
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      const cause = (error as Error).cause as Error | undefined;
      throw new ApiFailure(0, undefined, `cannot reach ${this.options.url}: ${cause?.message ?? (error as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; issues?: ApiFailure["issues"] } } | undefined)?.error;
      throw new ApiFailure(res.status, error?.code, error?.message ?? `${method} ${path}: HTTP ${res.status}`, error?.issues ?? []);
    }
    return { body: parsed as T, etag: res.headers.get("etag") };
  }

  async listConnections(): Promise<ConnectionSummary[]> {
    const all: ConnectionSummary[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const { body } = await this.call<{ items: ConnectionSummary[]; nextCursor: string | null }>("GET", `/oidc-connections${query}`);
      all.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    return all;
  }

  async getConnection(id: string): Promise<Connection> {
    return (await this.call<Connection>("GET", `/oidc-connections/${id}`)).body;
  }

  /** Every connection in full, sorted by name. */
  async readAll(): Promise<Connection[]> {
    const summaries = await this.listConnections();
    const full: Connection[] = [];
    for (const s of summaries) full.push(await this.getConnection(s.id));
    return full.sort((a, b) => a.name.localeCompare(b.name, "en"));
  }

  async create(body: ConnectionCreate): Promise<Connection> {
    return (await this.call<Connection>("POST", "/oidc-connections", body)).body;
  }

  async patch(id: string, version: number, body: ConnectionPatch): Promise<Connection> {
    return (await this.call<Connection>("PATCH", `/oidc-connections/${id}`, body, { "if-match": `"${version}"` })).body;
  }

  async setStatus(id: string, version: number, status: ConnectionStatus): Promise<Connection> {
    const action = status === "active" ? "activate" : "deactivate";
    return (await this.call<Connection>("POST", `/oidc-connections/${id}/${action}`, undefined, { "if-match": `"${version}"` })).body;
  }

  async delete(id: string, version: number): Promise<void> {
    await this.call("DELETE", `/oidc-connections/${id}`, undefined, { "if-match": `"${version}"` });
  }
}
