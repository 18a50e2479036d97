import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./net";

/** PostgreSQL 15's server binaries (Debian's layout); override with PG_BINDIR. */
export const PG_BINDIR = process.env.PG_BINDIR ?? "/usr/lib/postgresql/15/bin";
export const HAS_INITDB = existsSync(join(PG_BINDIR, "initdb"));

/**
 * A private PostgreSQL cluster under a temp dir, on its own port on 127.0.0.1, trust auth — for
 * outage tests that stop, start and freeze it (never the shared server on 5432).
 */
export class PrivateCluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** postgres:// URL of the cluster's `postgres` database. */
  get url() {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user. */
  private run(binary: string, args: string[]) {
    const path = join(PG_BINDIR, binary);
    const asRoot = process.getuid?.() === 0;
    return execFileSync(asRoot ? "runuser" : path, asRoot ? ["-u", "postgres", "--", path, ...args] : args, {
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
      timeout: 60_000,
    });
  }

  static async create(): Promise<PrivateCluster> {
    const dir = mkdtempSync(join(tmpdir(), "oidc-pg-"));
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
      const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
      chownSync(dir, uid, gid);
    }
    const cluster = new PrivateCluster(dir, await freePort());
    cluster.run("initdb", ["-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
    cluster.start();
    return cluster;
  }

  start() {
    this.run("pg_ctl", [
      "-D",
      join(this.dir, "data"),
      "-l",
      join(this.dir, "log"),
      "-o",
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "-w",
      "-t",
      "30",
      "start",
    ]);
  }

  /** Stops it the hard way (as a crash or a pulled cable would look to clients). */
  stop() {
    this.run("pg_ctl", ["-D", join(this.dir, "data"), "-m", "immediate", "-w", "stop"]);
  }

  /** The postmaster and its children (backends, background workers). */
  private processes(): number[] {
    const postmaster = Number(readFileSync(join(this.dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
    let children: number[] = [];
    try {
      children = execFileSync("pgrep", ["-P", String(postmaster)], { encoding: "utf8" })
        .split("\n")
        .filter(Boolean)
        .map(Number);
    } catch {
      // no children
    }
    return [postmaster, ...children];
  }

  /** SIGSTOP the postmaster and all its children: connections stay open, nothing answers. */
  freeze() {
    for (const pid of this.processes()) process.kill(pid, "SIGSTOP");
  }

  thaw() {
    for (const pid of this.processes().reverse()) process.kill(pid, "SIGCONT");
  }

  destroy() {
    try {
      this.thaw();
    } catch {
      // not running
    }
    try {
      this.stop();
    } catch {
      // not running
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
