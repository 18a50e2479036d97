import { AsyncLocalStorage } from "node:async_hooks";
import { databaseWaitStarted } from "../metrics";

/**
 * SPEC §13: a request that needs the database is answered within 3 s when the database is down or
 * frozen. Each request runs in a RequestScope; the database drivers (db/client.ts) report in it
 * when they start and finish waiting for the database. When the request has waited on the
 * database for DATABASE_DEADLINE_MS without a break, it is answered 503 at once (see
 * `databaseDeadline` in http/middleware.ts) and marked expired, and from then on the work it left
 * running may not change anything: a transaction checks the scope before COMMIT and rolls back,
 * the token service's gate and recorder drop its work. Only time spent waiting on the database
 * counts: a sign-in's password hash on a busy machine is not a database outage.
 */
export const DATABASE_DEADLINE_MS = 2200;
/**
 * When the deadline passes while the statement recording an exchange is on its way, its answer is
 * awaited this much longer (still within 3 s): a database that just came back answers in
 * milliseconds, and the client then gets the truth (its token) instead of a 503 for a used-up jti.
 */
export const RECORD_EXTRA_MS = 300;

/** Thrown to stop the leftover work of a request that was already answered 503. */
export class DeadlineExceeded extends Error {
  constructor() {
    super("The request's database deadline passed; it was answered 503 and its work is abandoned");
    this.name = "DeadlineExceeded";
  }
}

export class RequestScope {
  /** The request was answered 503 for lack of time: its leftover work must not change anything. */
  expired = false;
  /**
   * An exchange whose jti is being (or was) recorded: a graceful stop waits for its answer instead
   * of closing its socket (SPEC §13).
   */
  protected = false;
  /** The statement recording this exchange has been sent: its outcome is the database's now. */
  recordSent = false;
  /** Transactions that passed their last check and sent COMMIT: the database decides; we wait for it. */
  private committing = 0;
  /** Database calls this request is waiting for now. */
  private waiting = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Ends this request's count in `oidc_database_waiting_requests`. */
  private waitEnded: () => void = () => {};
  private finished = false;
  private markLate: () => void = () => {};
  /** Resolves when the request has waited on the database for `deadlineMs` without a break. */
  readonly late: Promise<void> = new Promise((resolve) => {
    this.markLate = resolve;
  });

  constructor(public deadlineMs = DATABASE_DEADLINE_MS) {}

  /** The request starts waiting for the database; call the returned function when that wait is over. */
  enter(): () => void {
    if (this.waiting++ === 0) {
      this.waitEnded = databaseWaitStarted();
      if (!this.finished) this.timer = setTimeout(this.markLate, this.deadlineMs);
    }
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (--this.waiting === 0) {
        clearTimeout(this.timer);
        this.waitEnded();
      }
    };
  }

  /** Counts `promise` as a wait for the database. */
  track<T>(promise: Promise<T>): Promise<T> {
    const leave = this.enter();
    promise.then(leave, leave);
    return promise;
  }

  /** The request has been answered: no deadline any more. */
  finish() {
    this.finished = true;
    clearTimeout(this.timer);
  }

  /** A graceful stop must let this request write its answer (a recorded exchange, a COMMIT in flight). */
  get mustFinish(): boolean {
    return this.protected || this.committing > 0;
  }

  /** Throws when the request was answered already (its leftover work must stop here). */
  check() {
    if (this.expired) throw new DeadlineExceeded();
  }

  /**
   * The deadline passed. Expires the scope and returns true, unless a COMMIT is in flight: then the
   * outcome is the database's, and the caller must wait for the request's own answer rather than
   * answer 503 for a change that may have been made.
   */
  expire(): boolean {
    if (this.committing > 0) return false;
    this.expired = true;
    return true;
  }

  /** Marks a COMMIT as sent; call the returned function once it has settled. */
  beginCommit(): () => void {
    this.check();
    this.committing++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.committing--;
    };
  }
}

/** The scope of the request being served, if any (none in start-up code, the CLI, background jobs). */
export const requestScope = new AsyncLocalStorage<RequestScope>();

export const currentScope = (): RequestScope | undefined => requestScope.getStore();
