import type { SQL } from "drizzle-orm";
import { storableText } from "../audit/events";
import { ARRAY_STATEMENT, arrayParams, type ExchangeRecord, recordStatement } from "../db/exchange-records";
import { rowsOf } from "../db/raw";
import { observeRecorderBatch } from "../metrics";

export type { ExchangeRecord } from "../db/exchange-records";

export interface RecordOutcome {
  /** The connection is still active at that version. */
  current: boolean;
  /** The jti was claimed now (false: already used) and the event written. */
  recorded: boolean;
}

/**
 * This record alone was refused by the database (its data, not the database's health): the batch
 * it was in was retried without it. The exchange is refused; nothing of it was recorded.
 */
export class RecordRefused extends Error {
  constructor(cause: unknown) {
    super("The database refused this exchange's record", { cause });
    this.name = "RecordRefused";
  }
}

/**
 * An error one record's data can cause (SQLSTATE class 22, data exception, e.g. text PostgreSQL
 * cannot store; class 23, integrity), which another subset of the batch may not have: worth
 * splitting the batch. Anything else (connection trouble, a missing table, shutdown) fails every
 * statement alike: the whole batch gets it at once.
 */
function statementError(error: unknown): boolean {
  // drizzle wraps the driver's error (DrizzleQueryError) and keeps it as the cause.
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code);
}

/** The exchange was answered (503) before its record was sent: it is not recorded. */
export class RecordAbandoned extends Error {
  constructor() {
    super("The exchange was answered before it could be recorded");
    this.name = "RecordAbandoned";
  }
}

interface Pending {
  record: ExchangeRecord;
  /** True once the exchange was answered without a token (its deadline passed): then it is not sent. */
  abandoned: (() => boolean) | undefined;
  resolve(outcome: RecordOutcome): void;
  reject(error: unknown): void;
}

const MAX_BATCH = 100;

/**
 * Records successful exchanges, several per statement when they arrive together (group commit at
 * the application level): a statement is one transaction, so each record's connection check, jti
 * claim and event are all-or-nothing, and under load one commit serves many exchanges instead of
 * one each. With no load, a record goes out at once, alone. At most `maxInFlight` statements run
 * at a time; the rest wait and join the next batch.
 */
export class ExchangeRecorder {
  private pending: Pending[] = [];
  private inFlight = 0;

  /**
   * `execute` runs the portable statement (drizzle, any driver); `executeArrays`, when given (the
   * postgres.js driver), runs the same statement with one array parameter per column instead: a
   * fixed text, prepared once, so PostgreSQL does not parse and plan hundreds of parameters per batch.
   */
  constructor(
    private readonly execute: (query: SQL) => Promise<unknown>,
    private readonly maxInFlight: number,
    private readonly executeArrays?: (text: string, params: unknown[]) => Promise<unknown>,
  ) {}

  record(record: ExchangeRecord, abandoned?: () => boolean): Promise<RecordOutcome> {
    // The claim key as it will be stored (and compared within a batch): a NUL cannot be stored.
    const stored = { ...record, jti: storableText(record.jti), issuer: storableText(record.issuer) };
    return new Promise((resolve, reject) => {
      this.pending.push({ record: stored, abandoned, resolve, reject });
      this.pump();
    });
  }

  private pump() {
    while (this.inFlight < this.maxInFlight && this.pending.length) {
      // The same (issuer, jti) twice in one statement would make ON CONFLICT ambiguous: later copies wait for the next batch.
      const batch: Pending[] = [];
      const later: Pending[] = [];
      const keys = new Set<string>();
      for (const item of this.pending) {
        // Answered 503 while it waited (the database froze): its jti stays unused (SPEC §13).
        if (item.abandoned?.()) {
          item.reject(new RecordAbandoned());
          continue;
        }
        const key = `${item.record.issuer}\u0000${item.record.jti}`;
        if (batch.length >= MAX_BATCH || keys.has(key)) later.push(item);
        else {
          keys.add(key);
          batch.push(item);
        }
      }
      this.pending = later;
      if (!batch.length) break;
      observeRecorderBatch(batch.length);
      this.inFlight++;
      this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /**
   * One statement for the batch. When the statement itself fails (one record's data, not the
   * database), nothing of it was written (one transaction): the batch is split in halves and each
   * retried, down to the single record that fails, which alone is refused. So a poisoned exchange
   * never fails the others, at the cost of about 2·log2(n) extra statements, not n.
   */
  private async run(batch: Pending[]): Promise<void> {
    try {
      const records = batch.map((p) => p.record);
      const rows = rowsOf(
        this.executeArrays ? await this.executeArrays(ARRAY_STATEMENT, arrayParams(records)) : await this.execute(recordStatement(records)),
      );
      const byIndex = new Map(rows.map((r) => [Number(r.n), r.recorded === true || r.recorded === "t"]));
      batch.forEach((item, i) => {
        const recorded = byIndex.get(i);
        item.resolve({ current: recorded !== undefined, recorded: recorded === true });
      });
    } catch (error) {
      if (!statementError(error)) for (const item of batch) item.reject(error);
      else if (batch.length === 1) batch[0]?.reject(new RecordRefused(error));
      else {
        const half = Math.ceil(batch.length / 2);
        await this.run(batch.slice(0, half));
        await this.run(batch.slice(half));
      }
    }
  }
}
