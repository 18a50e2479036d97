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
  /** Requests of `readAll` in flight at once (default READ_CONCURRENCY). */
  concurrency?: number;
  /** Told before waiting out the server's rate limit (429 with Retry-After), in seconds. */
  onRateLimited?: (seconds: number) => void;
}

/**
 * `readAll` reads the connections in full with this many GETs in flight: one at a time, an org of
 * 1,000 connections took 1,000 round trips in a row (docs/connections-as-code.md, measured).
 */
export const READ_CONCURRENCY = 8;
/**
 * A 429 (the server's API_RATE_LIMIT, per client and minute) is waited out and the request sent
 * again, at most this many times in a row. The limiter answers before anything is done, so a
 * refused write can be sent again safely.
 */
export const RATE_LIMIT_RETRIES = 3;
/** The longest wait taken from a Retry-After (the server's window is a minute). */
export const MAX_RETRY_AFTER_SECONDS = 60;

/** Retry-After (RFC 9110: delay-seconds or an HTTP-date) as whole seconds, 1 when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number {
  const value = header?.trim() ?? "";
  let seconds = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isNaN(seconds) && value) {
    const at = Date.parse(value);
    if (!Number.isNaN(at)) seconds = Math.ceil((at - now) / 1000);
  }
  if (!Number.isFinite(seconds)) return 1;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds));
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
    for (let retries = 0; ; retries++) {
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
      if (res.status !== 429 || retries >= RATE_LIMIT_RETRIES) break;
      const seconds = retryAfterSeconds(res.headers.get("retry-after"));
      await res.body?.cancel();
      this.options.onRateLimited?.(seconds);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
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

  /**
   * Every connection in full, sorted by name: the list's pages, then the GETs, several at a time.
   * A connection deleted between the list and its GET (404) is left out, as it is gone.
   */
  async readAll(): Promise<Connection[]> {
    const summaries = await this.listConnections();
    const full: (Connection | undefined)[] = new Array(summaries.length);
    let next = 0;
    let failed = false;
    // Each worker takes the next summary until none is left; after a failure none takes another.
    const worker = async () => {
      while (!failed && next < summaries.length) {
        const i = next++;
        try {
          full[i] = await this.getConnection((summaries[i] as ConnectionSummary).id);
        } catch (error) {
          if (error instanceof ApiFailure && error.status === 404 && error.code === "not_found") continue;
          failed = true;
          throw error;
        }
      }
    };
    const workers = Math.max(1, Math.min(this.options.concurrency ?? READ_CONCURRENCY, summaries.length));
    await Promise.all(Array.from({ length: workers }, worker));
    return full.filter((c): c is Connection => c !== undefined).sort((a, b) => a.name.localeCompare(b.name, "en"));
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
