/**
 * What the benches read from /proc (Linux) to make a figure on a shared machine readable: the
 * CPU and memory of a server's whole process tree (primary + cluster workers), the machine's load
 * average and the CPU time stolen by neighbours (hypervisor steal) during a run. Elsewhere the
 * readers answer undefined and the benches print "n/a".
 */
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";

/** Clock ticks per second of /proc/<pid>/stat's utime/stime (USER_HZ: 100 on every Linux Node supports). */
const TICKS_PER_SECOND = 100;
const PAGE_KIB = 4;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** A process's node children (cluster workers), recursively; not esbuild's service (tsx) or shells. */
export function nodeTree(pid: number): number[] {
  const out = [pid];
  for (const task of safeList(`/proc/${pid}/task`)) {
    for (const child of (read(`/proc/${pid}/task/${task}/children`) ?? "").split(" ").filter(Boolean).map(Number)) {
      if ((read(`/proc/${child}/comm`) ?? "").trim() === "node") out.push(...nodeTree(child));
    }
  }
  return out;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces). */
function statFields(pid: number): string[] | undefined {
  const text = read(`/proc/${pid}/stat`);
  if (!text) return undefined;
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

export interface TreeUsage {
  /** user + system CPU of every process in the tree, ms. */
  cpuMs: number;
  /** resident memory summed over the tree, MiB. */
  rssMiB: number;
  processes: number;
}

/** CPU so far and RSS now of `pid` and its node children; undefined off Linux. */
export function treeUsage(pid: number): TreeUsage | undefined {
  let cpuTicks = 0;
  let rssPages = 0;
  let processes = 0;
  for (const p of nodeTree(pid)) {
    const f = statFields(p);
    if (!f) continue;
    // after "(comm) ": state(0) … utime(11) stime(12) … rss(21)
    cpuTicks += Number(f[11]) + Number(f[12]);
    rssPages += Number(f[21]);
    processes++;
  }
  if (!processes) return undefined;
  return { cpuMs: (cpuTicks * 1000) / TICKS_PER_SECOND, rssMiB: (rssPages * PAGE_KIB) / 1024, processes };
}

interface CpuTimes {
  total: number;
  steal: number;
  idle: number;
}

function cpuTimes(): CpuTimes | undefined {
  const line = read("/proc/stat")?.split("\n")[0];
  if (!line?.startsWith("cpu ")) return undefined;
  // user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: v.reduce((a, b) => a + b, 0), steal: v[7] ?? 0, idle: (v[3] ?? 0) + (v[4] ?? 0) };
}

export interface RunWatch {
  /** Ends the watch: the run's conditions. */
  stop(): RunConditions;
}

export interface RunConditions {
  loadAtStart: number;
  /** Highest 1-minute load average sampled during the run. */
  loadDuring: number;
  /** Share of the machine's CPU time stolen by the hypervisor during the run, %. */
  stealPct: number | undefined;
  /** Share of the machine's CPU time busy (not idle / iowait), %. */
  busyPct: number | undefined;
  /** The server tree's CPU during the run, ms; undefined without a pid or off Linux. */
  serverCpuMs: number | undefined;
  /** The server tree's highest RSS sampled during the run, MiB. */
  serverPeakRssMiB: number | undefined;
}

/** Starts watching a run: load, steal and (for `serverPid`) the server's CPU and peak RSS, sampled every 250 ms. */
export function watchRun(serverPid?: number): RunWatch {
  const loadAtStart = loadavg()[0] ?? 0;
  let loadDuring = loadAtStart;
  const cpu0 = cpuTimes();
  const usage0 = serverPid ? treeUsage(serverPid) : undefined;
  let peakRss = usage0?.rssMiB;
  const timer = setInterval(() => {
    loadDuring = Math.max(loadDuring, loadavg()[0] ?? 0);
    if (serverPid) {
      const u = treeUsage(serverPid);
      if (u && (peakRss === undefined || u.rssMiB > peakRss)) peakRss = u.rssMiB;
    }
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      loadDuring = Math.max(loadDuring, loadavg()[0] ?? 0);
      const cpu1 = cpuTimes();
      const usage1 = serverPid ? treeUsage(serverPid) : undefined;
      if (usage1 && (peakRss === undefined || usage1.rssMiB > peakRss)) peakRss = usage1.rssMiB;
      const dTotal = cpu0 && cpu1 ? cpu1.total - cpu0.total : 0;
      return {
        loadAtStart,
        loadDuring,
        stealPct: cpu0 && cpu1 && dTotal > 0 ? ((cpu1.steal - cpu0.steal) / dTotal) * 100 : undefined,
        busyPct: cpu0 && cpu1 && dTotal > 0 ? (1 - (cpu1.idle - cpu0.idle) / dTotal) * 100 : undefined,
        serverCpuMs: usage0 && usage1 ? usage1.cpuMs - usage0.cpuMs : undefined,
        serverPeakRssMiB: peakRss,
      };
    },
  };
}

export const fmt = (v: number | undefined, digits = 1) => (v === undefined || Number.isNaN(v) ? "n/a" : v.toFixed(digits));

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The line a bench prints first: a warning when the machine is not quiet (figures then are not quotable). */
export function loadWarning(): string | undefined {
  const load = loadavg()[0] ?? 0;
  return load >= 1
    ? `WARNING: load average ${load.toFixed(2)} ≥ 1 at start: the machine is busy; these figures are not quotable (compare CPU per request and same-run ratios only)`
    : undefined;
}

/**
 * The node flags the server runs with in production: those of apps/server's `start` script (the
 * Dockerfile and the root `pnpm start` use the same: test/node-flags.test.ts). The benches start
 * the server, and the ceiling, with them; BENCH_SERVER_NODE_FLAGS come after and so win.
 */
export function productionNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { scripts: { start: string } };
  return startFlags(pkg.scripts.start);
}

/** The server's node flags in a bench: production's, then BENCH_SERVER_NODE_FLAGS (e.g. profiling), which win. */
export function serverNodeFlags(): string[] {
  return [...productionNodeFlags(), ...(process.env.BENCH_SERVER_NODE_FLAGS?.split(" ").filter(Boolean) ?? [])];
}

/** The `--flags` between `node` and the script in a start command such as `node --x=1 dist/index.js`. */
export function startFlags(command: string): string[] {
  const words = command.split(/\s+/);
  const node = words.indexOf("node");
  if (node < 0) return [];
  const flags: string[] = [];
  for (const word of words.slice(node + 1)) {
    if (!word.startsWith("--")) break;
    flags.push(word);
  }
  return flags;
}
