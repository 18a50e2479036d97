import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

/**
 * One writer per embedded database (SPEC §13): PGlite serves one process, and a second process on
 * the same DATA_DIR would write to its own copy of the pages and lose its changes (or the server's).
 *
 * The lock is `DATA_DIR/.lock`, created with O_EXCL and holding the owner's pid, host, boot id and
 * process start time. It is stale, and taken over, when its owner is gone: same host and boot, and
 * no live process with that pid and start time (a crash, a `kill -9`, a reboot, a container
 * restarted as the same pid). No timer, no heartbeat: a live owner never loses it.
 */
export const LOCK_FILE = ".lock";

interface Owner {
  pid: number;
  host: string;
  /** /proc/sys/kernel/random/boot_id on Linux; "" elsewhere. */
  boot: string;
  /** The owner's start time in clock ticks since boot (/proc/<pid>/stat field 22) on Linux; "" elsewhere. */
  start: string;
  /** When it took the lock, for the message. */
  since: string;
}

export class DatabaseLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: Partial<Owner>,
  ) {
    const who = owner.pid
      ? `process ${owner.pid}${owner.host ? ` on ${owner.host}` : ""}${owner.since ? ` since ${owner.since}` : ""}`
      : "another process";
    super(
      `The embedded database in ${dataDir} is in use by ${who}. PGlite serves one process at a time, so this one was refused ` +
        "(its writes would be lost). Stop that server first, or make the change through the running server (its console or " +
        "admin API), or run against PostgreSQL (DATABASE_URL), which serves any number of processes. If no such process " +
        `exists, delete ${join(dataDir, LOCK_FILE)}.`,
    );
    this.name = "DatabaseLockedError";
  }
}

function read(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}

const bootId = () => read("/proc/sys/kernel/random/boot_id");

/** Start time of a process (ticks since boot), or "" when unknown; undefined when there is no such process. */
function startTime(pid: number): string | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat) return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  try {
    process.kill(pid, 0);
    return "";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM" ? "" : undefined;
  }
}

function me(): Owner {
  return { pid: process.pid, host: hostname(), boot: bootId(), start: startTime(process.pid) ?? "", since: new Date().toISOString() };
}

/** Whether the owner recorded in a lock file is certainly gone (only decidable on the same host). */
function isStale(owner: Partial<Owner>, self: Owner): boolean {
  if (typeof owner.pid !== "number" || owner.host !== self.host) return false;
  if (owner.boot && self.boot && owner.boot !== self.boot) return true;
  const start = startTime(owner.pid);
  if (start === undefined) return true;
  // The pid is alive: stale only if it is another process now (its start time differs).
  return Boolean(owner.start && start && owner.start !== start);
}

function parse(text: string): Partial<Owner> {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" ? (value as Partial<Owner>) : {};
  } catch {
    return {};
  }
}

/** Paths locked by this process, so that it cannot open its own database twice either. */
const held = new Set<string>();

/** Takes the lock on `dataDir` or throws DatabaseLockedError; returns the function that releases it. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  const self = me();
  if (held.has(path)) throw new DatabaseLockedError(dataDir, self);
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const text = read(path);
      const owner = parse(text);
      // A lock left by a process that is gone (crash, kill -9): take it over, once.
      if (attempt === 0 && (isStale(owner, self) || (text === "" && emptyAndOld(path)))) {
        try {
          unlinkSync(path);
        } catch {
          // someone else removed it first; try again
        }
        continue;
      }
      throw new DatabaseLockedError(dataDir, owner);
    }
    try {
      writeSync(fd, `${JSON.stringify(self)}\n`);
    } finally {
      closeSync(fd);
    }
    held.add(path);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      held.delete(path);
      process.removeListener("exit", release);
      // Only our own lock: never delete one another process wrote after taking over.
      const current = parse(read(path));
      if (current.pid === self.pid && current.since === self.since) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    };
    // A process that exits without closing the database (process.exit) still leaves no lock.
    process.on("exit", release);
    return release;
  }
}

/** An empty lock file is a process that died between creating and writing it; give it a moment. */
function emptyAndOld(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > 5000;
  } catch {
    return false;
  }
}
