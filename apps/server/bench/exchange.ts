/**
 * Token exchange benchmark (issue #4): the real server on PostgreSQL against a bare ceiling, in one run,
 * and the registry realm (issue #9: GET /registry/token with access tokens as Basic passwords).
 *
 *   cd apps/server && npx tsx bench/exchange.ts
 *
 * Environment: DATABASE_URL (admin URL of a PostgreSQL server; default
 * postgres://postgres@127.0.0.1:5432/postgres — a fresh database is created and dropped),
 * BENCH_DURATION (seconds of each measured run, default 12), BENCH_CONNECTIONS (default 50),
 * BENCH_TOKENS (unique ID tokens when the ceiling is skipped, default 20000), WORKERS / DATABASE_POOL_SIZE (passed to
 * the server), BENCH_SKIP_CEILING=1, BENCH_SKIP_EXCHANGE=1 (only the realm row),
 * BENCH_REGISTRY_CONNECTIONS (clients of the realm run, default 10), BENCH_PAIRS (ceiling/exchange pairs,
 * default 3), BENCH_SERVER_NODE_FLAGS (extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 *
 * Trustworthy on a shared machine: the ceiling and the exchange runs alternate A B A B A B, each
 * pair's ratio and the median are printed, with the load average at the start and during each run,
 * the CPU stolen by the hypervisor (/proc/stat) and the server's own CPU per request (its primary
 * and workers, /proc/<pid>/stat); a warning when the load is ≥ 1 at the start.
 *
 * Closed loop (autocannon connections, no fixed rate: PERF-NOTES), load generator in this process,
 * each server in its own process. Every exchanged ID token is unique (replay protection would
 * refuse a second use), minted beforehand with the development issuer's key read from the database.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createPrivateKey, randomBytes, randomUUID, sign as rsaSign } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { connectPostgres } from "../src/db/client";
import { openPrivateJwk, parseKek } from "../src/keys/vault";
import { freePort } from "../test/support/net";
import { fmt, loadWarning, median, productionNodeFlags, type RunConditions, serverNodeFlags, treeUsage, watchRun } from "./proc";

const ADMIN_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const TOKENS = Number(process.env.BENCH_TOKENS ?? 20_000);
const WARM_TOKENS = 3000;
const DURATION = Number(process.env.BENCH_DURATION ?? 12);
const PAIRS = Math.max(1, Number(process.env.BENCH_PAIRS ?? 3));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const REGISTRY_CONNECTIONS = Number(process.env.BENCH_REGISTRY_CONNECTIONS ?? 10);
const PASSWORD = "bench-password-123";
const ROOT = fileURLToPath(new URL("..", import.meta.url));

const log = (line: string) => process.stdout.write(`${line}\n`);

function startProcess(script: string, env: Record<string, string>): ChildProcess {
  // The server and the ceiling run with production's node flags; the extra ones (profiling) only on the server.
  const flags = script.startsWith("src/") ? serverNodeFlags() : productionNodeFlags();
  const child = spawn(process.execPath, [...flags, "--import", "tsx", script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  child.on("exit", (code, signal) => {
    if (code && code !== 0) log(`${script} exited with ${code ?? signal}`);
  });
  return child;
}

async function waitFor(url: string, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(url, { method: url.endsWith("/oauth/token") ? "POST" : "GET" });
      if (res.status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

async function stopProcess(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

/** Unique GitHub-shaped ID tokens, RS256 with the development issuer's key (libuv thread pool, both cores). */
async function mintTokens(jwk: Record<string, unknown>, kid: string, issuer: string, audience: string, count: number): Promise<string[]> {
  const key = createPrivateKey({ key: jwk as any, format: "jwk" });
  const header = b64({ alg: "RS256", kid, typ: "JWT" });
  const now = Math.floor(Date.now() / 1000);
  const out: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const sha = randomBytes(20).toString("hex");
      const payload = b64({
        jti: randomUUID(),
        sub: "repo:octo-org/api:ref:refs/heads/main",
        aud: audience,
        ref: "refs/heads/main",
        sha,
        repository: "octo-org/api",
        repository_owner: "octo-org",
        repository_owner_id: "1234567",
        run_id: String(8_000_000_000 + i),
        workflow: "Release",
        job_workflow_ref: "octo-org/api/.github/workflows/release.yml@refs/heads/main",
        event_name: "push",
        actor: "octocat",
        iss: issuer,
        nbf: now - 5,
        iat: now,
        exp: now + 600,
      });
      const input = `${header}.${payload}`;
      const signature = await new Promise<Buffer>((resolve, reject) =>
        rsaSign("sha256", Buffer.from(input), key, (err, sig) => (err ? reject(err) : resolve(sig))),
      );
      out[i] = `${input}.${signature.toString("base64url")}`;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}

interface Figures {
  name: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Answers by HTTP status, e.g. "200×20811 503×811". */
  statuses: string;
  seconds: number;
  /** Load, steal, and the measured process tree's CPU and peak RSS during the run. */
  during?: RunConditions;
}

async function load(
  name: string,
  url: string,
  bodies: string[],
  options: {
    amount?: number;
    duration?: number;
    connections?: number;
    request?: (i: number) => Record<string, unknown>;
    /** The process (tree) whose CPU and memory the run is charged to. */
    pid?: number | undefined;
  },
): Promise<Figures> {
  let i = 0;
  const exchangeRequest = (n: number) => ({
    method: "POST",
    path: "/oauth/token",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: bodies[n % bodies.length],
  });
  const request = options.request ?? exchangeRequest;
  const watch = watchRun(options.pid);
  const result = await autocannon({
    url,
    connections: options.connections ?? CONNECTIONS,
    pipelining: 1,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? DURATION }),
    requests: [{ setupRequest: (req: any) => ({ ...req, ...request(i++) }) }],
  } as any);
  const during = watch.stop();
  const seconds = result.duration;
  return {
    name,
    requests: result.requests.total,
    rps: Math.round(result.requests.total / seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    statuses: Object.entries((result as any).statusCodeStats ?? {})
      .map(([code, stats]) => `${code}×${(stats as { count: number }).count}`)
      .join(" "),
    seconds: Math.round(seconds * 10) / 10,
    during,
  };
}

const COLUMNS: [string, number, (r: Figures) => string][] = [
  ["run", -30, (r) => r.name],
  ["requests", 9, (r) => String(r.requests)],
  ["req/s", 7, (r) => String(r.rps)],
  ["p50 ms", 7, (r) => String(r.p50)],
  ["p99 ms", 7, (r) => String(r.p99)],
  ["errors", 7, (r) => String(r.errors)],
  ["non-2xx", 8, (r) => String(r.non2xx)],
  ["secs", 5, (r) => String(r.seconds)],
  ["CPU ms/req", 11, (r) => fmt(r.during?.serverCpuMs !== undefined && r.requests ? r.during.serverCpuMs / r.requests : undefined, 3)],
  ["peak RSS MiB", 13, (r) => fmt(r.during?.serverPeakRssMiB, 0)],
  ["load start", 11, (r) => fmt(r.during?.loadAtStart, 2)],
  ["load during", 12, (r) => fmt(r.during?.loadDuring, 2)],
  ["steal %", 8, (r) => fmt(r.during?.stealPct)],
  ["busy %", 7, (r) => fmt(r.during?.busyPct)],
];

function print(rows: Figures[]) {
  const cell = (text: string, width: number) => (width < 0 ? text.padEnd(-width) : text.padStart(width));
  log("");
  log(COLUMNS.map(([h, w]) => cell(h, w)).join(" "));
  for (const r of rows) log(COLUMNS.map(([, w, f]) => cell(f(r), w)).join(" "));
  for (const r of rows) if (r.non2xx) log(`${r.name}: answers by status ${r.statuses}`);
  log(
    "(CPU ms/req: user + system CPU of the measured server's processes — the ceiling's, or the server's primary and workers — per answered request)",
  );
}

async function main() {
  const admin = connectPostgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  const dbName = `oidc_bench_${randomBytes(5).toString("hex")}`;
  await admin.unsafe(`create database "${dbName}"`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const children: ChildProcess[] = [];
  const warning = loadWarning();
  if (warning) log(warning);
  log(
    `exchange bench: ${PAIRS} pairs of ${DURATION} s runs, ${CONNECTIONS} clients, node ${process.version} ${serverNodeFlags().join(" ")}, ${availableParallelism()} cores, load avg ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  try {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const kekText = `bench:${randomBytes(32).toString("base64")}`;
    const workers = process.env.WORKERS ?? "1";
    const poolSize = process.env.DATABASE_POOL_SIZE ?? "10";
    const server = startProcess("src/index.ts", {
      NODE_ENV: "development",
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: publicUrl,
      DATABASE_URL: dbUrl.toString(),
      DATABASE_POOL_SIZE: poolSize,
      DEV_ISSUER: "1",
      ADMIN_PASSWORD: PASSWORD,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn",
      TOKEN_RATE_LIMIT_IP: "0",
      TOKEN_RATE_LIMIT_CONNECTION: "0",
      API_RATE_LIMIT: "0",
      LOGIN_RATE_LIMIT: "0",
      WORKERS: workers,
      // A key-encryption key of this run (keys at rest), rather than a generated file in DATA_DIR.
      KEY_ENCRYPTION_KEY: kekText,
    });
    children.push(server);
    await waitFor(`${publicUrl}/healthz`);

    // A connection, set up the way an admin would, through the admin API.
    const login = await fetch(`${publicUrl}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: publicUrl },
      body: JSON.stringify({ email: "admin@example.com", password: PASSWORD }),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const created = await fetch(`${publicUrl}/api/orgs/octo-org/oidc-connections`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: publicUrl, cookie },
      body: JSON.stringify({
        name: "Bench",
        type: "github-actions",
        issuer: `${publicUrl}/dev-issuer`,
        rulesets: [
          {
            label: "release",
            subject: "repo:octo-org/api:ref:refs/heads/release-*",
            resources: ["octo-org/api"],
            scopes: ["pull", "push"],
          },
          {
            label: "main",
            subject: "repo:octo-org/api:ref:refs/heads/main",
            conditions: [{ claim: "event_name", pattern: "push" }],
            resources: ["octo-org/api", "octo-org/base-images"],
            scopes: ["pull", "push"],
          },
        ],
      }),
    });
    if (created.status !== 201) throw new Error(`creating the connection: ${created.status} ${await created.text()}`);
    const connectionId = ((await created.json()) as { id: string }).id;

    const sql = connectPostgres(dbUrl.toString(), { max: 1, onnotice: () => {} });
    const [devKey] = await sql<{ kid: string; private_jwk: Record<string, unknown>; public_jwk: Record<string, unknown> }[]>`
      select kid, private_jwk, public_jwk from signing_keys where purpose = 'dev-issuer' limit 1`;
    if (!devKey) throw new Error("no development issuer key");
    // Stored sealed (keys at rest): the bench opens it with the run's key-encryption key to mint ID tokens.
    const devPrivateJwk = openPrivateJwk(
      devKey.private_jwk,
      { current: parseKek(kekText), old: [], source: "KEY_ENCRYPTION_KEY" },
      devKey.kid,
    );

    const issuer = `${publicUrl}/dev-issuer`;
    const toBodies = (tokens: string[]) =>
      tokens.map((t) =>
        new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
          subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
          subject_token: t,
          connection_id: connectionId,
        }).toString(),
      );
    const mint = async (count: number) => {
      const started = performance.now();
      const bodies = toBodies(await mintTokens(devPrivateJwk, devKey.kid, issuer, publicUrl, count));
      log(`minted ${count} unique ID tokens in ${Math.round(performance.now() - started)} ms`);
      return bodies;
    };
    // A first set: the ceiling's load (it has no replay check, so it cycles through them) and the server's warm-up.
    const warmBodies = await mint(WARM_TOKENS);

    const rows: Figures[] = [];
    const skipCeiling = process.env.BENCH_SKIP_CEILING === "1";
    const skipExchange = process.env.BENCH_SKIP_EXCHANGE === "1";
    let ceiling: { url: string; pid: number | undefined } | undefined;
    if (!skipCeiling && !skipExchange) {
      const ceilingPort = await freePort();
      const child = startProcess("bench/ceiling.ts", { PORT: String(ceilingPort), CEILING_JWK: JSON.stringify(devKey.public_jwk) });
      children.push(child);
      ceiling = { url: `http://127.0.0.1:${ceilingPort}`, pid: child.pid };
      await waitFor(`${ceiling.url}/healthz`);
      await load("warm-up", ceiling.url, warmBodies, { duration: 2 });
    }
    if (!skipExchange) await load("warm-up", publicUrl, warmBodies, { amount: warmBodies.length });
    // The server's memory after start-up and warm-up, before the measured load.
    const idle = server.pid ? treeUsage(server.pid) : undefined;

    // A B A B A B: the ceiling and the exchange alternate, so a neighbour's burst on the shared
    // machine hits both sides of some pair rather than one side of the comparison.
    const pairs: { ceiling: Figures; exchange: Figures }[] = [];
    if (!skipExchange) {
      for (let p = 1; p <= PAIRS; p++) {
        const a = ceiling ? await load(`ceiling (verify+sign) #${p}`, ceiling.url, warmBodies, { pid: ceiling.pid }) : undefined;
        if (a) rows.push(a);
        // Enough unique tokens for the exchange run: it cannot beat the ceiling, so 1.2 × the ceiling's count.
        const bodies = await mint(a ? Math.ceil(a.rps * DURATION * 1.2) : TOKENS);
        const b = await load(`exchange (w=${workers}, pool=${poolSize}) #${p}`, publicUrl, bodies, { pid: server.pid });
        rows.push(b);
        if (b.requests > bodies.length)
          log(`note: run ${p} ran out of unique tokens after ${bodies.length} requests (the rest were replays)`);
        if (a) pairs.push({ ceiling: a, exchange: b });
      }
    }

    // The registry realm: 20 jobs' access tokens, each asking for its push scope (the docker push
    // pattern: a few token requests per job, coalesced into one registry.token event per scope set).
    const accessTokens: string[] = [];
    for (const body of (await mint(20)).slice(0, 20)) {
      const res = await fetch(`${publicUrl}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
      });
      const token = ((await res.json()) as { access_token?: string }).access_token;
      if (!token) throw new Error(`exchange for the realm run: ${res.status}`);
      accessTokens.push(token);
    }
    const service = new URL(publicUrl).host;
    const scopes = ["repository:octo-org/api:pull,push", "repository:octo-org/api:pull", "repository:octo-org/base-images:pull"];
    const realmRequest = (n: number) => ({
      method: "GET",
      path: `/registry/token?service=${service}&scope=${scopes[n % scopes.length]}`,
      headers: { authorization: `Basic ${Buffer.from(`octo-org:${accessTokens[n % accessTokens.length]}`).toString("base64")}` },
    });
    await load("warm-up", publicUrl, [], { duration: 2, connections: REGISTRY_CONNECTIONS, request: realmRequest });
    rows.push(
      await load(`registry realm (${REGISTRY_CONNECTIONS} clients)`, publicUrl, [], {
        duration: DURATION,
        connections: REGISTRY_CONNECTIONS,
        request: realmRequest,
        pid: server.pid,
      }),
    );

    const [counts] = await sql<{ jtis: number; exchanged: number; registry: number }[]>`
      select (select count(*)::int from used_jtis) as jtis,
             (select count(*)::int from events where type = 'token.exchanged') as exchanged,
             (select count(*)::int from events where type = 'registry.token') as registry`;
    await sql.end();
    print(rows);
    log(
      `server RSS: idle ${fmt(idle?.rssMiB, 0)} MiB (after start-up and warm-up, ${idle?.processes ?? "?"} node processes), peak under load ${fmt(Math.max(...rows.map((r) => r.during?.serverPeakRssMiB ?? 0)), 0)} MiB`,
    );
    if (pairs.length) {
      log("");
      const ratios = pairs.map(({ ceiling: a, exchange: b }) => (b.rps / a.rps) * 100);
      pairs.forEach(({ ceiling: a, exchange: b }, k) => {
        log(
          `pair ${k + 1}: exchange / ceiling ${ratios[k]!.toFixed(0)} % (${b.rps} / ${a.rps} req/s), exchange p99 ${b.p99} ms; steal ${fmt(a.during?.stealPct)} % / ${fmt(b.during?.stealPct)} %, load ${fmt(a.during?.loadAtStart, 2)} → ${fmt(b.during?.loadDuring, 2)}`,
        );
      });
      const p99s = pairs.map((x) => x.exchange.p99);
      const cpu = pairs.map((x) => (x.exchange.during?.serverCpuMs ?? Number.NaN) / x.exchange.requests);
      const ceilingCpu = pairs.map((x) => (x.ceiling.during?.serverCpuMs ?? Number.NaN) / x.ceiling.requests);
      log(
        `median of ${pairs.length} pairs: exchange / ceiling ${median(ratios).toFixed(0)} %, exchange p99 ${median(p99s)} ms, CPU per request ${fmt(median(cpu), 3)} ms (ceiling ${fmt(median(ceilingCpu), 3)} ms) — goal ≥ 50 % with p99 < 50 ms`,
      );
      // What the throughput ratio tends to on a quiet machine, where both sides are CPU-bound: less noisy than req/s.
      log(`CPU ratio (ceiling CPU per request / exchange CPU per request): ${fmt((median(ceilingCpu) / median(cpu)) * 100, 0)} %`);
    }
    log(`database: ${counts?.jtis} used_jtis rows, ${counts?.exchanged} token.exchanged events (one per 200 answer, warm-up included)`);
    log(
      `          ${counts?.registry} registry.token events (one per access token and scope set: at most ${accessTokens.length * scopes.length})`,
    );
  } finally {
    for (const child of children) await stopProcess(child);
    await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
    await admin.end();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
