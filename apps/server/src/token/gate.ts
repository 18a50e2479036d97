import { currentScope } from "../db/deadline";

/**
 * Bounds the database work in flight: postgres.js degrades when more queries wait than the pool
 * has connections (PERF-NOTES), so callers queue here, in a plain FIFO, instead. A request that was
 * answered 503 while it waited (SPEC §13) sends nothing once admitted.
 */
export class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** For metrics: work running now, and waiting behind it. */
  get running() {
    return this.active;
  }
  get queued() {
    return this.waiting.length;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    // Waiting here is waiting for the database (SPEC §13 deadline).
    const leave = currentScope()?.enter();
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      currentScope()?.check();
      return await fn();
    } finally {
      leave?.();
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
