/**
 * Database outages and graceful stop (issue #7, SPEC §13), measured in one run of about 40 s:
 *
 *   cd apps/server && npx tsx bench/outage.ts
 *
 * Starts a private PostgreSQL cluster (initdb + pg_ctl under a temp dir, its own port; never the
 * shared server), our server in this process on it, and a paced closed-loop exchange load over
 * kept-alive sockets. Then: the cluster stopped (pg_ctl stop -m immediate) for OUTAGE_S and started
 * again; frozen (SIGSTOP of the postmaster and its children) for OUTAGE_S and thawed; finally the
 * server stopped (as on SIGTERM) under the load. Prints, per outage, the latency p50/p99 and the
 * statuses of the exchanges sent during it, /readyz's, the time from the database's return to
 * the first exchange answered 200, and for the stop the recorded jtis whose answer was lost.
 *
 * Environment: BENCH_CLIENTS (default 8), BENCH_RATE (exchanges per second per client, default 10),
 * OUTAGE_S (default 5), PG_BINDIR (default /usr/lib/postgresql/15/bin).
 */
import { Agent, request } from "node:http";
import { loadavg } from "node:os";
import pino from "pino";
import postgres from "postgres";
import { type Started, startServer } from "../src/server";
import { PASSWORD, testEnv } from "../test/support/harness";
import { HAS_INITDB, PG_BINDIR, PrivateCluster } from "../test/support/pg-cluster";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const RATE = Number(process.env.BENCH_RATE ?? 10);
const OUTAGE_S = Number(process.env.OUTAGE_S ?? 5);
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  sentAt: number;
  ms: number;
  status: number | string;
  jti: string;
  connection?: string | undefined;
}

function post(agent: Agent, url: string, path: string, body: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method: "POST", agent, headers: { "content-length": Buffer.byteLength(body), ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const pct = (values: number[], p: number) => {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};
const round = (n: number) => Math.round(n);
const jtiOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()).jti as string;

async function main() {
  if (!HAS_INITDB) {
    log(`no ${PG_BINDIR}/initdb: install postgresql-15 (or set PG_BINDIR)`);
    process.exit(1);
  }
  const cluster = await PrivateCluster.create();
  let server: Started | undefined;
  const sql = postgres(cluster.url, { max: 1, onnotice: () => {} });
  try {
    server = await startServer(
      testEnv({
        PORT: "0",
        HOST: "127.0.0.1",
        DATABASE_URL: cluster.url,
        DEV_ISSUER: "1",
        TOKEN_RATE_LIMIT_IP: "0",
        TOKEN_RATE_LIMIT_CONNECTION: "0",
        SHUTDOWN_GRACE: "5",
      }),
      pino({ level: process.env.LOG_LEVEL ?? "silent" }, pino.destination(2)),
    );
    const url = server.url;
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS + 2 });
    const login = await post(agent, url, "/api/auth/login", JSON.stringify({ email: "admin@example.com", password: PASSWORD }), {
      "content-type": "application/json",
    });
    const cookie = String(login.headers["set-cookie"]).split(";")[0] as string;
    const created = await post(
      agent,
      url,
      "/api/orgs/octo-org/oidc-connections",
      JSON.stringify({
        name: "Outage bench",
        type: "github-actions",
        issuer: "http://localhost:3000/dev-issuer",
        rulesets: [{ label: "main", subject: "repo:octo-org/api:ref:refs/heads/main", resources: ["octo-org/api"], scopes: ["pull"] }],
      }),
      { "content-type": "application/json", cookie, origin: "http://localhost:3000" },
    );
    const connectionId = JSON.parse(created.body).id as string;

    // Unique ID tokens for the whole run, minted before (the development issuer needs the database).
    const total = Math.ceil(CLIENTS * RATE * (4 * OUTAGE_S + 20));
    const tokens: string[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (tokens.length < total) {
          const res = await post(agent, url, "/dev-issuer/token", JSON.stringify({ claims: {} }), { "content-type": "application/json" });
          tokens.push(JSON.parse(res.body).token as string);
        }
      }),
    );
    log(
      `${tokens.length} ID tokens minted in ${round(performance.now() - t0)} ms; load: ${CLIENTS} clients × ${RATE}/s, kept alive; ` +
        `machine load average ${loadavg()
          .map((n) => n.toFixed(1))
          .join(" ")}`,
    );

    const samples: Sample[] = [];
    let running = true;
    // Paced during the outages; back to back (closed loop) for the stop, so that some are in flight.
    let paced = true;
    const client = async () => {
      while (running && tokens.length) {
        const token = tokens.pop() as string;
        const body = new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
          subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
          subject_token: token,
          connection_id: connectionId,
        }).toString();
        const sentAt = performance.now();
        try {
          const res = await post(agent, url, "/oauth/token", body, { "content-type": "application/x-www-form-urlencoded" });
          const connection = res.headers.connection as string | undefined;
          samples.push({ sentAt, ms: performance.now() - sentAt, status: res.status, jti: jtiOf(token), connection });
        } catch (error) {
          samples.push({
            sentAt,
            ms: performance.now() - sentAt,
            status: (error as NodeJS.ErrnoException).code ?? "error",
            jti: jtiOf(token),
          });
        }
        if (paced) await sleep(Math.max(0, 1000 / RATE - (performance.now() - sentAt)));
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, client));

    const ready: { at: number; ms: number; status: number }[] = [];
    const probe = (async () => {
      while (running) {
        const at = performance.now();
        const res = await fetch(`${url}/readyz`).catch(() => undefined);
        ready.push({ at, ms: performance.now() - at, status: res?.status ?? 0 });
        await sleep(250);
      }
    })();

    const report = (name: string, from: number, to: number, back: number) => {
      const during = samples.filter((s) => s.sentAt >= from && s.sentAt < to);
      const statuses: Record<string, number> = {};
      for (const s of during) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
      const probes = ready.filter((r) => r.at >= from && r.at < to);
      const firstOk = samples.filter((s) => s.sentAt >= back && s.status === 200).sort((a, b) => a.sentAt + a.ms - (b.sentAt + b.ms))[0];
      log(
        `${name}: ${during.length} exchanges sent during it: p50 ${round(
          pct(
            during.map((s) => s.ms),
            50,
          ),
        )} ms, p99 ${round(
          pct(
            during.map((s) => s.ms),
            99,
          ),
        )} ms, max ${round(Math.max(...during.map((s) => s.ms)))} ms, statuses ${JSON.stringify(statuses)}; /readyz max ${round(
          Math.max(...probes.map((r) => r.ms)),
        )} ms, statuses ${JSON.stringify([...new Set(probes.map((r) => r.status))])}; recovered ${
          firstOk ? `${round(firstOk.sentAt + firstOk.ms - back)} ms` : "never"
        } after the database returned`,
      );
    };

    await sleep(3000);
    let from = performance.now();
    cluster.stop();
    await sleep(OUTAGE_S * 1000);
    let to = performance.now();
    cluster.start();
    let back = performance.now();
    await sleep(4000);
    report(`stopped ${OUTAGE_S} s (pg_ctl stop -m immediate)`, from, to, back);
    const stoppedRefused = samples.filter((s) => s.sentAt >= from - 1000 && s.sentAt < to && s.status !== 200).map((s) => s.jti);
    const stoppedConsumed = await sql<{ n: number }[]>`select count(*)::int as n from used_jtis where jti = any(${stoppedRefused})`;
    log(
      `  of the ${stoppedRefused.length} exchanges refused around it, ${stoppedConsumed[0]?.n} had their jti recorded (committed as the server died, answer lost with the connection)`,
    );

    from = performance.now();
    cluster.freeze();
    await sleep(OUTAGE_S * 1000);
    to = performance.now();
    cluster.thaw();
    back = performance.now();
    await sleep(4000);
    report(`frozen ${OUTAGE_S} s (SIGSTOP)`, from, to, back);
    const frozenJtis = samples.filter((s) => s.sentAt >= from && s.sentAt < to && s.status !== 200).map((s) => s.jti);
    const consumed = await sql<{ n: number }[]>`select count(*)::int as n from used_jtis where jti = any(${frozenJtis})`;
    log(
      `  of the ${frozenJtis.length} exchanges sent while frozen and refused, ${consumed[0]?.n} had their jti recorded after the thaw (statements already sent when it froze)`,
    );

    // Graceful stop under the same clients, now back to back.
    paced = false;
    await sleep(1000);
    const beforeStop = samples.length;
    const stopStarted = performance.now();
    await server.stop();
    const stopMs = performance.now() - stopStarted;
    server = undefined;
    running = false;
    await Promise.all([load, probe]);
    agent.destroy();
    // Exchanges answered (or failed) after the stop began: a recorded jti without its 200 is a lost answer.
    const atStop = samples.filter((s) => s.sentAt + s.ms >= stopStarted);
    const recordedAtStop = new Set(
      (await sql<{ jti: string }[]>`select jti from used_jtis where jti = any(${atStop.map((s) => s.jti)})`).map((r) => r.jti),
    );
    const lost = atStop.filter((s) => recordedAtStop.has(s.jti) && s.status !== 200);
    const statuses: Record<string, number> = {};
    for (const s of atStop) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
    log(
      `graceful stop under load (SHUTDOWN_GRACE 5): stop() took ${round(stopMs)} ms; exchanges answered after it began: ${JSON.stringify(statuses)}; ` +
        `recorded jtis among them: ${recordedAtStop.size}, answers lost for them: ${lost.length}; their answers said Connection: ${JSON.stringify(
          [...new Set(atStop.filter((s) => s.status === 200).map((s) => s.connection))],
        )}`,
    );
    log(`(${beforeStop} exchanges before the stop)`);
  } finally {
    await server?.stop(1000).catch(() => {});
    await sql.end({ timeout: 1 }).catch(() => {});
    cluster.destroy();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
