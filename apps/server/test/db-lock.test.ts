import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/client";
import { DatabaseLockedError, LOCK_FILE, lockDataDir } from "../src/db/lock";

const serverRoot = fileURLToPath(new URL("..", import.meta.url));

/** SPEC §13 "One writer on the embedded database". */
describe("one writer per PGlite DATA_DIR", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "oidc-lock-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a second open of the same folder, and allows it again after close", async () => {
    const first = await openDatabase({ dataDir: dir });
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"))).toMatchObject({ pid: process.pid });
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(DatabaseLockedError);
    await first.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const second = await openDatabase({ dataDir: dir });
    await second.close();
  }, 120_000);

  it("memory:// needs no lock", async () => {
    const a = await openDatabase({ dataDir: "memory://" });
    const b = await openDatabase({ dataDir: "memory://" });
    await Promise.all([a.close(), b.close()]);
  }, 120_000);

  it("takes over a stale lock left by a process that is gone", () => {
    // A real process that has exited: its pid is not alive any more.
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const pid = Number(gone.stdout);
    const host = hostname();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, host, boot: "", start: "", since: "2026-01-01T00:00:00.000Z" }));
    const release = lockDataDir(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    release();
  });

  it("takes over a lock whose pid now belongs to another process (pid reused after a restart)", () => {
    // Our own pid, but another start time: the process that wrote it is gone.
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: process.pid, host: hostname(), boot: "", start: "1", since: "2026-01-01T00:00:00.000Z" }),
    );
    const release = lockDataDir(dir);
    release();
  });

  it("keeps a lock whose owner is alive, or on another host", () => {
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: hostname(), boot: "", start: "", since: "x" }));
    expect(() => lockDataDir(dir)).toThrow(/in use by process 1/);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 999999, host: "elsewhere", since: "x" }));
    expect(() => lockDataDir(dir)).toThrow(DatabaseLockedError);
  });

  it("the CLI in a second process is refused while a server holds the folder: a message that says what to do, exit code 1", async () => {
    const db = await openDatabase({ dataDir: dir });
    try {
      await db.migrate();
      const result = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "list"], {
          cwd: serverRoot,
          env: { PATH: process.env.PATH, DATA_DIR: dir, LOG_LEVEL: "silent" },
        });
        let stderr = "";
        let stdout = "";
        child.stderr.on("data", (d) => (stderr += d));
        child.stdout.on("data", (d) => (stdout += d));
        child.on("exit", (code) => resolve({ code, stderr, stdout }));
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`in use by process ${process.pid}`);
      expect(result.stderr).toMatch(/Stop that server first/);
      expect(result.stderr).toMatch(/DATABASE_URL/);
      expect(result.stdout).toBe("");
    } finally {
      await db.close();
    }
    // Once the server has stopped, the CLI works on the same folder.
    const ok = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "list"], {
      cwd: serverRoot,
      env: { PATH: process.env.PATH, DATA_DIR: dir, LOG_LEVEL: "silent" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 120_000);
});
