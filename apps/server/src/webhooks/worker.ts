import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { Database } from "../db/client";
import { rowsOf } from "../db/raw";
import type { Env } from "../env";
import { guardedLookup, isPublicAddress } from "./address";
import { openSecret } from "./service";

export interface WorkerOptions {
  /** How often to look for due deliveries. */
  pollMs: number;
  /** First retry after this; doubled each failed attempt up to `retryCapMs`. */
  retryBaseMs: number;
  retryCapMs: number;
  /** After this many failed attempts the delivery is given up (`failed`). */
  maxAttempts: number;
  /** A claimed delivery is due again after this if its worker died (at least once, never lost). */
  leaseMs: number;
  /** One attempt's time limit (connect to the end of the answer). */
  timeoutMs: number;
  /** Outside production: loopback and private receivers are allowed. */
  allowPrivate: boolean;
  batch: number;
}

export function workerOptions(env: Env): WorkerOptions {
  return {
    pollMs: env.webhookPollMs,
    retryBaseMs: env.webhookRetryBaseMs,
    retryCapMs: env.webhookRetryCapMs,
    maxAttempts: env.webhookMaxAttempts,
    leaseMs: 60_000,
    timeoutMs: 10_000,
    allowPrivate: !env.production,
    batch: 10,
  };
}

/** The delay before attempt `attempts + 1` after `attempts` failed ones: base·2^(attempts−1), capped. */
export const backoffMs = (attempts: number, base: number, cap: number) => Math.min(cap, base * 2 ** Math.max(0, attempts - 1));

export const signBody = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

interface Claimed {
  id: number;
  orgSlug: string;
  eventType: string;
  payload: unknown;
  attempts: number;
  url: string | null;
  secret: unknown;
  orgId: string;
}

interface AttemptResult {
  status: number | null;
  error: string | null;
}

/**
 * Delivers the webhook outbox (SPEC §12). Each poll claims due deliveries with FOR UPDATE SKIP
 * LOCKED in a short transaction that moves them a lease ahead, so two workers (two processes on
 * one PostgreSQL) never hold the same delivery, and one that dies mid-delivery only delays it.
 * Nothing is held open during the HTTP call.
 */
export class WebhookWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** A round failed (the database is down): said once, and once more when rounds work again. */
  private failing = false;

  constructor(
    private readonly db: Database,
    private readonly env: Env,
    private readonly log: Logger,
    private readonly options: WorkerOptions = workerOptions(env),
  ) {}

  start(): this {
    this.stopped = false;
    this.schedule(0);
    return this;
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then((n) => {
          if (this.failing) this.log.info("webhooks: delivering again");
          this.failing = false;
          this.schedule(n === this.options.batch ? 0 : this.options.pollMs);
        })
        .catch((err: unknown) => {
          if (!this.failing) this.log.warn({ err }, "webhooks: delivery round failed; retrying quietly until it works");
          this.failing = true;
          this.schedule(this.options.pollMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** Stops polling and waits for the round in progress (its deliveries are recorded). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  /** One round: claim, deliver, record. Returns how many were claimed. */
  async tick(): Promise<number> {
    const claimed = await this.claim();
    await Promise.all(claimed.map((d) => this.deliver(d)));
    return claimed.length;
  }

  private async claim(): Promise<Claimed[]> {
    const rows = rowsOf(
      await this.db.execute(sql`
        with due as (
          select id from webhook_deliveries
          where status = 'pending' and next_attempt_at <= now()
          order by next_attempt_at, id
          limit ${this.options.batch}
          for update skip locked
        )
        update webhook_deliveries d
        set attempts = d.attempts + 1, next_attempt_at = now() + ${this.options.leaseMs} * interval '1 millisecond'
        from due
        where d.id = due.id
        returning d.id, d.org_id, d.event_type, d.payload, d.attempts,
          (select slug from organizations o where o.id = d.org_id) as org_slug,
          (select url from webhooks w2 where w2.org_id = d.org_id) as url,
          (select secret from webhooks w3 where w3.org_id = d.org_id) as secret`),
    );
    return rows.map((r) => ({
      id: Number(r.id),
      orgId: String(r.org_id),
      orgSlug: String(r.org_slug),
      eventType: String(r.event_type),
      payload: typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload,
      attempts: Number(r.attempts),
      url: r.url == null ? null : String(r.url),
      secret: typeof r.secret === "string" ? JSON.parse(r.secret) : r.secret,
    }));
  }

  private async deliver(d: Claimed): Promise<void> {
    let result: AttemptResult;
    if (d.url === null) result = { status: null, error: "The webhook was removed" };
    else {
      try {
        // The body is the same bytes at every attempt: the delivery id in it lets a receiver drop repeats.
        const body = JSON.stringify({ id: String(d.id), type: d.eventType, org: d.orgSlug, event: d.payload });
        const secret = openSecret(this.env, d.orgId, d.secret);
        result = await this.post(d.url, body, {
          "content-type": "application/json",
          "user-agent": "oidc-connections-webhook/1",
          "x-oidc-signature": signBody(secret, body),
          "x-oidc-delivery": String(d.id),
          "x-oidc-event": d.eventType,
          "x-oidc-attempt": String(d.attempts),
        });
      } catch (err) {
        result = { status: null, error: err instanceof Error ? err.message : "delivery failed" };
      }
    }
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const giveUp = !ok && (d.url === null || d.attempts >= this.options.maxAttempts);
    const retryIn = backoffMs(d.attempts, this.options.retryBaseMs, this.options.retryCapMs);
    await this.db.execute(sql`
      update webhook_deliveries set
        status = ${ok ? "delivered" : giveUp ? "failed" : "pending"},
        last_status_code = ${result.status},
        last_error = ${result.error === null ? null : result.error.slice(0, 500)},
        delivered_at = ${ok ? sql`now()` : null},
        next_attempt_at = ${ok || giveUp ? sql`next_attempt_at` : sql`now() + ${retryIn} * interval '1 millisecond'`}
      where id = ${d.id}`);
    if (!ok) this.log.info({ delivery: d.id, status: result.status, error: result.error, giveUp }, "webhooks: delivery failed");
  }

  /** One POST; redirects are not followed (a 3xx is a failed attempt). */
  private post(url: string, body: string, headers: Record<string, string>): Promise<AttemptResult> {
    const target = new URL(url);
    if (!this.options.allowPrivate) {
      if (target.protocol !== "https:") return Promise.resolve({ status: null, error: "A webhook must use https" });
      const host = target.hostname.replace(/^\[|\]$/g, "");
      if (isIP(host) && !isPublicAddress(host)) return Promise.resolve({ status: null, error: "Private address refused" });
    }
    const request = target.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const req = request(
        target,
        {
          method: "POST",
          headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
          timeout: this.options.timeoutMs,
          ...(this.options.allowPrivate ? {} : { lookup: guardedLookup }),
        },
        (res) => {
          res.resume(); // the answer's body is not kept
          res.on("end", () => resolve({ status: res.statusCode ?? null, error: null }));
          res.on("error", () => resolve({ status: res.statusCode ?? null, error: null }));
        },
      );
      req.on("timeout", () => req.destroy(new Error("Timed out")));
      req.on("error", (err) => resolve({ status: null, error: err.message }));
      req.end(body);
    });
  }
}
