/**
 * Admin API latency (SPEC §5): list (first page, default limit 25) and get, with 1,000 connections
 * in the org, on PGlite and on the PostgreSQL server. Run: `cd apps/server && npx tsx bench/admin.ts`.
 *
 * The real server (startServer) runs in a child process, apart from the load generator (autocannon,
 * closed loop: N connections each sending its next request when the previous one answered).
 * For PostgreSQL a fresh database is created and dropped; the admin URL is DATABASE_URL or
 * postgres://postgres@127.0.0.1:5432/postgres. Options (env): BENCH_SECONDS or BENCH_DURATION (default 10),
 * BENCH_CONNECTIONS (default "10,50"), BENCH_KINDS (default "pglite,postgres"), DATABASE_POOL_SIZE,
 * WORKERS (PostgreSQL only: the server's node:cluster workers), BENCH_SERVER_NODE_FLAGS (extra node
 * flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), BENCH_AUTH=token (the endpoints read
 * with an owner API token instead of the admin's session), BENCH_SKIP_CLI=1 (without the CLI's read of
 * the whole org, measured after the endpoints), BENCH_SKIP_FLOOR=1 (without the floor's runs: serveFloor).
 *
 * Server CPU per request is the user + system CPU of the server's whole process tree (primary and
 * workers, /proc/<pid>/stat) during the run divided by the answered requests; RSS is summed over
 * the same processes, idle (after start-up, seed and warm-up) and at its peak under load.
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { AdminClient, READ_CONCURRENCY } from "../../../packages/cli/src/api";
import { connectPostgres } from "../src/db/client";
import { fmt, loadWarning, median, type RunConditions, serverNodeFlags, treeUsage, watchRun } from "./proc";

/** The part of autocannon's API used here (the package ships no types). */
interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (
  options: Record<string, unknown>,
  done: (err: Error | null, result: AutocannonResult) => void,
) => { on(event: "tick", listener: (tick: { counter: number }) => void): void };
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const PASSWORD = "bench-password-123";
const CONNECTIONS_IN_ORG = 1000;

type Ready = { type: "ready"; port: number; floorPort: number; ids: string[] };

// ---------------------------------------------------------------- server side (child process)

async function serve() {
  const { parseEnv } = await import("../src/env");
  const { createLogger } = await import("../src/log");
  const { startServer } = await import("../src/server");
  const { connections, organizations, rulesets, users } = await import("../src/db/schema");
  const { eq } = await import("drizzle-orm");
  const env = parseEnv();
  const started = await startServer(env, createLogger(env.logLevel));
  // WORKERS > 1: node:cluster re-runs this file in each worker, which only serves; the primary seeds and reports.
  if ((await import("node:cluster")).default.isWorker) return;
  const { db } = started.deps.database;
  const [org] = await db.select().from(organizations).where(eq(organizations.slug, "octo-org"));
  const [admin] = await db.select().from(users).where(eq(users.email, "admin@example.com"));
  if (!org || !admin) throw new Error("the demo seed did not run");
  const ids: string[] = [];
  const now = Date.now();
  for (let batch = 0; batch < CONNECTIONS_IN_ORG / 100; batch++) {
    const rows = await db
      .insert(connections)
      .values(
        Array.from({ length: 100 }, (_, k) => {
          const i = batch * 100 + k;
          const at = new Date(now - (CONNECTIONS_IN_ORG - i) * 60_000);
          return {
            orgId: org.id,
            name: `Bench connection ${String(i).padStart(4, "0")}`,
            description: i % 7 === 0 ? "deploys the nightly images" : "",
            issuer: "https://token.actions.githubusercontent.com",
            status: i % 10 === 0 ? ("inactive" as const) : ("active" as const),
            createdBy: admin.id,
            updatedBy: admin.id,
            createdAt: at,
            updatedAt: at,
          };
        }),
      )
      .returning({ id: connections.id });
    ids.push(...rows.map((r) => r.id));
    await db.insert(rulesets).values(
      rows.flatMap((row, k) =>
        Array.from({ length: 1 + ((batch * 100 + k) % 5) }, (_, position) => ({
          connectionId: row.id,
          position,
          label: `ruleset-${position}`,
          subject: `repo:octo-org@1234567/api@98765:ref:refs/heads/release-${position}`,
          conditions: position % 2 ? [{ claim: "environment", pattern: "production" }] : [],
          resources: ["octo-org/api", "octo-org/web"],
          scopes: ["pull", "push"] as ("pull" | "push")[],
        })),
      ),
    );
  }
  const floorPort = await serveFloor(started.deps);
  process.send?.({ type: "ready", port: started.port, floorPort, ids } satisfies Ready);
  process.on("SIGTERM", () => {
    started.stop(2000).finally(() => process.exit(0));
  });
}

/**
 * The floor: what answering GET one connection or a list page must cost at the least on this
 * machine, measured in the same run as the product, like the exchange's ceiling. A bare Hono app
 * on its own port, in the server's process (the same heap, database handle and pool, so the same
 * JIT and GC conditions), that reads the caller's credential the product's way and runs the
 * product's one folded statement for it (`AdminReads`: the session's, or the API token's with
 * BENCH_AUTH=token) and answers its rows as JSON. Nothing else: no middleware (request context,
 * logging, metrics, security headers, deadline), no validation of the query, no decision on the
 * access row, no mapping of rows to the API's shape, no lints. With WORKERS > 1 it runs in the
 * primary only (one process).
 */
async function serveFloor(deps: import("../src/http/context").Deps): Promise<number> {
  const { Hono } = await import("hono");
  const { serve } = await import("@hono/node-server");
  const { AdminReads } = await import("../src/db/admin-reads");
  const { sessionKey } = await import("../src/auth/sessions");
  const { tokenKey } = await import("../src/auth/api-tokens");
  const { bearerToken } = await import("../src/http/middleware");
  const { readSessionId } = await import("../src/http/session-cookie");
  const reads = new AdminReads(deps.database);
  const path = "/api/orgs/:org/oidc-connections";
  const floor = new Hono()
    .get(path, async (c) => {
      const slug = c.req.param("org");
      const bearer = bearerToken(c);
      const key = bearer === undefined ? undefined : tokenKey(bearer, slug);
      // The product reads one row more than the page (limit 25) to know whether a next page exists.
      const values = { limit: 26 };
      if (key) return c.json(await reads.tokenConnectionPage(key, values));
      return c.json(await reads.sessionConnectionPage(sessionKey(readSessionId(c, deps.env) ?? "", slug), values));
    })
    .get(`${path}/:id`, async (c) => {
      const slug = c.req.param("org");
      const bearer = bearerToken(c);
      const key = bearer === undefined ? undefined : tokenKey(bearer, slug);
      const id = c.req.param("id");
      if (key) return c.json(await reads.tokenConnection(key, id));
      return c.json(await reads.sessionConnection(sessionKey(readSessionId(c, deps.env) ?? "", slug), id));
    });
  return new Promise((resolve) => serve({ fetch: floor.fetch, port: 0, hostname: "127.0.0.1" }, (info) => resolve(info.port)));
}

// ---------------------------------------------------------------- load generator (parent)

interface Row {
  database: string;
  endpoint: string;
  connections: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  trend: string;
  /** Server CPU (user + system, primary and workers) per answered request. */
  cpuMs: number | undefined;
  conditions: RunConditions;
  /** The floor's run just before (serveFloor), unless BENCH_SKIP_FLOOR. */
  floor?: { rps: number; p99: number; cpuMs: number | undefined };
}

function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: [...serverNodeFlags(), "--import", "tsx"],
    env: { PATH: process.env.PATH ?? "", BENCH_ROLE: "server", ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", (m: Ready) => resolve({ child, ready: m }));
    child.once("exit", (code) => reject(new Error(`server exited with ${code} before it was ready`)));
  });
}

async function login(base: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: base },
    body: JSON.stringify({ email: "admin@example.com", password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

function run(opts: { url: string; connections: number; seconds: number; auth: Record<string, string>; paths: () => string }) {
  return new Promise<{ result: AutocannonResult; perSecond: number[] }>((resolve, reject) => {
    const perSecond: number[] = [];
    const instance = autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        duration: opts.seconds,
        headers: { ...opts.auth, accept: "application/json" },
        requests: [{ method: "GET", setupRequest: (req: Record<string, unknown>) => ({ ...req, path: opts.paths() }) }],
      },
      (err, result) => (err ? reject(err) : resolve({ result, perSecond })),
    );
    instance.on("tick", (tick: { counter: number }) => perSecond.push(tick.counter));
  });
}

async function benchKind(kind: "pglite" | "postgres", adminUrl: string, seconds: number, concurrencies: number[]): Promise<Row[]> {
  const env: Record<string, string> = {
    NODE_ENV: "development",
    PORT: "0",
    HOST: "127.0.0.1",
    PUBLIC_URL: "http://127.0.0.1:3000",
    ADMIN_PASSWORD: PASSWORD,
    API_RATE_LIMIT: "0",
    LOGIN_RATE_LIMIT: "0",
    LOG_LEVEL: "warn",
    WORKERS: kind === "postgres" ? (process.env.WORKERS ?? "1") : "1",
  };
  if (process.env.DATABASE_POOL_SIZE) env.DATABASE_POOL_SIZE = process.env.DATABASE_POOL_SIZE;
  let drop = async () => {};
  if (kind === "postgres") {
    const name = `oidc_bench_${randomBytes(5).toString("hex")}`;
    const sql = connectPostgres(adminUrl, { max: 1, onnotice: () => {} });
    await sql.unsafe(`create database "${name}"`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.toString();
    drop = async () => {
      await sql.unsafe(`drop database if exists "${name}" with (force)`);
      await sql.end();
    };
  } else {
    env.DATA_DIR = "memory://";
  }
  const t0 = performance.now();
  const { child, ready } = await startChild(env).catch(async (e) => {
    await drop();
    throw e;
  });
  const rows: Row[] = [];
  try {
    const base = `http://127.0.0.1:${ready.port}`;
    const cookie = await login(base);
    // BENCH_AUTH=token: the endpoints are read with an API token (scripts) instead of the session (the console).
    const auth: Record<string, string> =
      process.env.BENCH_AUTH === "token" ? { authorization: `Bearer ${await apiToken(base, cookie)}` } : { cookie };
    const list = "/api/orgs/octo-org/oidc-connections";
    const first = (await (await fetch(`${base}${list}`, { headers: { cookie } })).json()) as { items: unknown[]; nextCursor: string };
    if (first.items.length !== 25 || !first.nextCursor) throw new Error("the list did not answer a first page of 25");
    process.stdout.write(
      `\n${kind}: server up and ${ready.ids.length} connections seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s (pid ${child.pid})\n`,
    );
    let n = 0;
    const endpoints: [string, () => string][] = [
      ["list (first page)", () => list],
      ["get", () => `${list}/${ready.ids[n++ % ready.ids.length]}`],
    ];
    const floorBase = process.env.BENCH_SKIP_FLOOR ? undefined : `http://127.0.0.1:${ready.floorPort}`;
    if (floorBase) await checkFloor(floorBase, auth, list, ready.ids[0]!);
    for (const url of floorBase ? [floorBase, base] : [base]) {
      await run({ url, connections: 10, seconds: 1, auth, paths: endpoints[0]![1] }); // warm-up
      await run({ url, connections: 10, seconds: 1, auth, paths: endpoints[1]![1] });
    }
    const idle = child.pid ? treeUsage(child.pid) : undefined;
    process.stdout.write(
      `  server RSS idle (after start-up, seed and warm-up): ${fmt(idle?.rssMiB, 0)} MiB in ${idle?.processes ?? "?"} node processes\n`,
    );
    for (const [endpoint, paths] of endpoints) {
      for (const connections of concurrencies) {
        // A B: the floor, then the product, so both see the same minute of a shared machine.
        let floor: Row["floor"];
        if (floorBase) {
          const watch = watchRun(child.pid);
          const { result } = await run({ url: floorBase, connections, seconds, auth, paths });
          const { serverCpuMs } = watch.stop();
          const answered = result.requests.average * seconds;
          if (result.non2xx || result.errors) throw new Error(`the floor answered ${result.non2xx} non-2xx and ${result.errors} errors`);
          floor = {
            rps: result.requests.average,
            p99: result.latency.p99,
            cpuMs: perRequest(serverCpuMs, answered),
          };
        }
        const watch = watchRun(child.pid);
        const { result, perSecond } = await run({ url: base, connections, seconds, auth, paths });
        const conditions = watch.stop();
        const answered = result.requests.average * seconds;
        const row: Row = {
          database: kind,
          endpoint,
          connections,
          rps: result.requests.average,
          p50: result.latency.p50,
          p90: result.latency.p90,
          p99: result.latency.p99,
          max: result.latency.max,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          // the last tick is a partial second
          trend: perSecond.length > 2 ? `${perSecond[0]}→${perSecond[perSecond.length - 2]}` : "",
          cpuMs: perRequest(conditions.serverCpuMs, answered),
          conditions,
          floor,
        };
        rows.push(row);
        process.stdout.write(
          `  ${endpoint.padEnd(18)} c=${String(connections).padEnd(3)} ${Math.round(row.rps)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms  server CPU ${fmt(row.cpuMs, 3)} ms/req, peak RSS ${fmt(conditions.serverPeakRssMiB, 0)} MiB  (non-2xx ${row.non2xx}, errors ${row.errors}, req/s first→last full second ${row.trend}, load ${fmt(conditions.loadAtStart, 2)}→${fmt(conditions.loadDuring, 2)}, steal ${fmt(conditions.stealPct)} %)\n`,
        );
        if (floor)
          process.stdout.write(
            `  ${"".padEnd(18)}       floor: ${Math.round(floor.rps)} req/s  p99 ${floor.p99} ms  CPU ${fmt(floor.cpuMs, 3)} ms/req; the product costs ${fmt(ratio(row.cpuMs, floor.cpuMs), 2)}× the floor's CPU\n`,
          );
      }
    }
    if (!process.env.BENCH_SKIP_CLI) await benchReadAll(base, cookie);
  } finally {
    // Let the last in-flight requests of the final run finish before the server stops.
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    await drop();
  }
  return rows;
}

/** The server's CPU during a run, per answered request. */
const perRequest = (cpuMs: number | undefined, answered: number) => (answered && cpuMs !== undefined ? cpuMs / answered : undefined);

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? a / b : undefined);

/** The floor answers what the product reads (a page of 26 rows, the connection asked for), not a row of nulls. */
async function checkFloor(floorBase: string, auth: Record<string, string>, list: string, id: string) {
  const page = (await (await fetch(`${floorBase}${list}`, { headers: auth })).json()) as { id: string | null }[];
  const one = (await (await fetch(`${floorBase}${list}/${id}`, { headers: auth })).json()) as { id: string | null };
  if (page.length !== 26 || page.some((r) => !r.id) || one.id !== id) throw new Error("the floor did not read what the product reads");
}

/** A new owner API token of octo-org, created with the admin's session. */
async function apiToken(base: string, cookie: string): Promise<string> {
  const created = await fetch(`${base}/api/orgs/octo-org/api-tokens`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: base, cookie },
    body: JSON.stringify({ name: `bench ${randomBytes(4).toString("hex")}`, role: "owner" }),
  });
  if (created.status !== 201) throw new Error(`api token: ${created.status} ${await created.text()}`);
  return ((await created.json()) as { token: string }).token;
}

/**
 * Connections as code (SPEC §10): the CLI's `readAll` — what `export`, `plan` and `apply` read first —
 * over all 1,000 connections with an owner API token, one GET at a time against several at a time
 * (the CLI's default), alternating, three runs each. Wall time: what the person at the terminal waits.
 */
async function benchReadAll(base: string, cookie: string) {
  const token = await apiToken(base, cookie);
  const times: Record<string, number[]> = { "1": [], [String(READ_CONCURRENCY)]: [] };
  for (let round = 0; round < 3; round++) {
    for (const concurrency of [1, READ_CONCURRENCY]) {
      let requests = 0;
      const counting: typeof fetch = (input, init) => {
        requests++;
        return fetch(input, init);
      };
      const t = performance.now();
      const all = await new AdminClient({ url: base, org: "octo-org", token, concurrency, fetch: counting }).readAll();
      const ms = performance.now() - t;
      if (all.length !== CONNECTIONS_IN_ORG) throw new Error(`readAll answered ${all.length} connections`);
      times[String(concurrency)]?.push(ms);
      if (round === 0 && concurrency === 1)
        process.stdout.write(`  CLI readAll (export, plan, apply): ${requests} requests for ${all.length} connections\n`);
    }
  }
  for (const [concurrency, xs] of Object.entries(times))
    process.stdout.write(
      `  CLI readAll, ${concurrency} GET${concurrency === "1" ? "" : "s"} at a time: ${(median(xs) / 1000).toFixed(2)} s median (runs: ${xs.map((x) => (x / 1000).toFixed(2)).join(", ")} s)\n`,
    );
}

async function main() {
  const seconds = Number(process.env.BENCH_SECONDS ?? process.env.BENCH_DURATION ?? 10);
  const warning = loadWarning();
  if (warning) process.stdout.write(`${warning}\n`);
  const concurrencies = (process.env.BENCH_CONNECTIONS ?? "10,50").split(",").map(Number);
  const kinds = (process.env.BENCH_KINDS ?? "pglite,postgres").split(",") as ("pglite" | "postgres")[];
  const adminUrl = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
  process.stdout.write(
    `admin API bench: ${CONNECTIONS_IN_ORG} connections in octo-org, ${seconds} s per run, closed loop, server in a child process (WORKERS=${process.env.WORKERS ?? "1"} on PostgreSQL, node ${process.version} ${serverNodeFlags().join(" ")}, ${availableParallelism()} cores, load avg ${loadavg()[0]!.toFixed(1)})\n`,
  );
  const rows: Row[] = [];
  for (const kind of kinds) rows.push(...(await benchKind(kind, adminUrl, seconds, concurrencies)));
  const header = [
    "database",
    "endpoint",
    "conns",
    "req/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "max ms",
    "server CPU ms/req",
    "floor CPU ms/req",
    "× floor",
    "floor p99 ms",
    "peak RSS MiB",
    "non-2xx",
    "errors",
    "load start",
    "load during",
    "steal %",
  ];
  const table = rows.map((r) => [
    r.database,
    r.endpoint,
    String(r.connections),
    String(Math.round(r.rps)),
    String(r.p50),
    String(r.p90),
    String(r.p99),
    String(r.max),
    fmt(r.cpuMs, 3),
    fmt(r.floor?.cpuMs, 3),
    fmt(ratio(r.cpuMs, r.floor?.cpuMs), 2),
    r.floor ? String(r.floor.p99) : "n/a",
    fmt(r.conditions.serverPeakRssMiB, 0),
    String(r.non2xx),
    String(r.errors),
    fmt(r.conditions.loadAtStart, 2),
    fmt(r.conditions.loadDuring, 2),
    fmt(r.conditions.stealPct),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  process.stdout.write(`\n${line(header)}\n| ${widths.map((w) => "-".repeat(w)).join(" | ")} |\n${table.map(line).join("\n")}\n`);
  // The goals of issue #14, row by row.
  const goals: { database: string; endpoint: string; connections: number; p99: number }[] = [
    { database: "postgres", endpoint: "list", connections: 10, p99: 25 },
    { database: "postgres", endpoint: "list", connections: 50, p99: 50 },
    { database: "postgres", endpoint: "get", connections: 10, p99: 10 },
    { database: "pglite", endpoint: "list", connections: 10, p99: 50 },
  ];
  const verdicts: string[] = [];
  for (const g of goals) {
    const r = rows.find((x) => x.database === g.database && x.endpoint.startsWith(g.endpoint) && x.connections === g.connections);
    if (r)
      verdicts.push(`${g.database} ${g.endpoint} c=${g.connections}: p99 ${r.p99} ms (< ${g.p99}: ${r.p99 < g.p99 ? "met" : "MISSED"})`);
  }
  for (const r of rows.filter((x) => x.database === "postgres")) {
    if (r.cpuMs !== undefined)
      verdicts.push(
        `postgres ${r.endpoint} c=${r.connections}: ${r.cpuMs.toFixed(3)} ms CPU/req (≤ 0.3: ${r.cpuMs <= 0.3 ? "met" : "MISSED"})${r.floor?.cpuMs ? `; the floor ${r.floor.cpuMs.toFixed(3)} ms in the same run (${fmt(ratio(r.cpuMs, r.floor.cpuMs), 2)}×)` : ""}`,
      );
  }
  if (verdicts.length) process.stdout.write(`\ngoals (issue #14):\n${verdicts.map((v) => `  ${v}`).join("\n")}\n`);
}

if (process.env.BENCH_ROLE === "server") {
  serve().catch((error) => {
    process.stderr.write(`bench server failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
