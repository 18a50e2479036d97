// Performance check (not a test): starts the built product on a fresh embedded database, seeds
// 1,000 connections through the API, and measures the list in headless Chromium.
// Run: pnpm --filter @oidc/e2e perf   (after `pnpm build`)
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { chromium, request } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumPath } from "../support/env";

const PORT = Number(process.env.PERF_PORT ?? 3219);
const BASE = `http://localhost:${PORT}`;
const PASSWORD = "perf-demo-password";
const COUNT = Number(process.env.PERF_CONNECTIONS ?? 1000);

// As the server benches do (apps/server/bench/proc.ts): say how busy the machine was.
const loadAtStart = loadavg()[0] ?? 0;
console.log(`load average ${loadAtStart.toFixed(2)} at start`);

const server = spawn(process.execPath, [fileURLToPath(new URL("./serve.mjs", import.meta.url))], {
  env: {
    ...process.env,
    E2E_PORT: String(PORT),
    E2E_PASSWORD: PASSWORD,
    E2E_DATA_DIR: fileURLToPath(new URL("../.tmp/perf-data", import.meta.url)),
  },
  stdio: ["ignore", "ignore", "inherit"],
});

async function waitForServer() {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${BASE}/readyz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("server did not start");
}

try {
  await waitForServer();
  const api = await request.newContext({ baseURL: BASE, extraHTTPHeaders: { Origin: BASE } });
  const login = await api.post("/api/auth/login", { data: { email: "admin@example.com", password: PASSWORD } });
  if (!login.ok()) throw new Error(`login failed: ${login.status()}`);

  const seedStart = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < COUNT) {
      const i = next++;
      const res = await api.post("/api/orgs/octo-org/oidc-connections", {
        data: {
          name: `Connection ${String(i).padStart(4, "0")}`,
          description: i % 3 ? "Publishes images from main" : "",
          type: "github-actions",
          rulesets: [{ label: "main", subject: `repo:octo-org/api:ref:refs/heads/b${i}`, resources: ["octo-org/api"], scopes: ["pull"] }],
        },
      });
      if (res.status() !== 201) throw new Error(`seed ${i}: ${res.status()} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  console.log(`Seeded ${COUNT} connections in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  const apiTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await api.get("/api/orgs/octo-org/oidc-connections?limit=100");
    apiTimes.push(Math.round(performance.now() - t));
  }
  const state = await api.storageState();
  const executablePath = chromiumPath();
  const browser = await chromium.launch({ args: CHROMIUM_ARGS, ...(executablePath ? { executablePath } : {}) });
  const results: Record<string, number[]> = { firstPage: [], inPage: [], rowsInDom: [], interactive: [], all: [], filter: [] };
  for (let run = 0; run < 3; run++) {
    const context = await browser.newContext({ storageState: state, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    // Diagnosis only (the figures above stay the driver's): when the 100th row entered the DOM, by
    // the page's clock. The driver's wait polls at growing intervals (0, 20, 50, 100, 100, 500 ms
    // after goto resolves), so "first page" moves in steps; this one does not.
    await page.addInitScript(() => {
      const seen = new MutationObserver(() => {
        if (!document.querySelector("table tbody tr:nth-child(100)")) return;
        (window as unknown as { rowsInDom: number }).rowsInDom = performance.now();
        seen.disconnect();
      });
      seen.observe(document, { childList: true, subtree: true });
    });
    const rows = page.getByRole("table", { name: "OIDC connections" }).locator("tbody tr");
    const t0 = Date.now();
    await page.goto(`${BASE}/orgs/octo-org/oidc-connections`);
    await rows.nth(99).waitFor();
    results.firstPage?.push(Date.now() - t0);
    // The page's own clock: from navigation start, without the test driver's overhead.
    results.inPage?.push(Math.round(await page.evaluate(() => performance.now())));
    results.rowsInDom?.push(Math.round(await page.evaluate(() => (window as unknown as { rowsInDom: number }).rowsInDom)));
    if (process.env.PERF_DEBUG)
      console.log(
        await page.evaluate(() =>
          [
            ...performance
              .getEntriesByType("navigation")
              .map(
                (e) =>
                  `nav responseEnd ${Math.round((e as PerformanceNavigationTiming).responseEnd)} dcl ${Math.round((e as PerformanceNavigationTiming).domContentLoadedEventEnd)}`,
              ),
            ...performance
              .getEntriesByType("resource")
              .map(
                (e) =>
                  `${Math.round(e.startTime)}–${Math.round((e as PerformanceResourceTiming).responseEnd)} ${e.name.replace(location.origin, "")}`,
              ),
          ].join("\n"),
        ),
      );
    // Interactive: the first row's actions menu opens on click.
    await page
      .getByRole("button", { name: /^Actions for / })
      .first()
      .click();
    await page.getByRole("menu").waitFor();
    results.interactive?.push(Date.now() - t0);
    await page.keyboard.press("Escape");

    const t1 = Date.now();
    for (let loaded = 100; loaded < COUNT; loaded += 100) {
      await page.getByRole("button", { name: "Show more" }).click();
      await rows.nth(Math.min(loaded + 99, COUNT - 1)).waitFor();
    }
    results.all?.push(Date.now() - t1);

    // With all rows rendered: time from typing a search to the filtered table.
    const t2 = Date.now();
    await page.getByRole("searchbox", { name: "Search" }).fill(`Connection ${String(COUNT - 1).padStart(4, "0")}`);
    await page.waitForFunction(() => document.querySelectorAll("table tbody tr").length === 1);
    results.filter?.push(Date.now() - t2);
    await context.close();
  }
  await browser.close();
  const median = (xs: number[] = []) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  console.log(
    `API: GET …/oidc-connections?limit=100 with ${COUNT} connections: ${median(apiTimes)} ms median (runs: ${apiTimes.join(", ")})`,
  );
  console.log(`List of ${COUNT} connections, headless Chromium, median of 3 cold page loads:`);
  console.log(`  first page (100 rows) rendered:             ${median(results.firstPage)} ms  (runs: ${results.firstPage?.join(", ")})`);
  console.log(`  same, by the page's clock from navigation start: ${median(results.inPage)} ms`);
  console.log(
    `  (100th row in the DOM, page clock, not stepped by the driver's polling: ${median(results.rowsInDom)} ms; runs: ${results.rowsInDom?.join(", ")})`,
  );
  console.log(`  interactive (row actions menu opens):       ${median(results.interactive)} ms`);
  console.log(`  all ${COUNT} rows loaded with "Show more" ×${Math.ceil(COUNT / 100) - 1}:   ${median(results.all)} ms`);
  console.log(`  search over the loaded list → 1 row:        ${median(results.filter)} ms (includes 250 ms debounce + request)`);
  console.log(`load average ${loadAtStart.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at the end`);
  if (loadAtStart >= 1)
    console.log(`WARNING: load average ${loadAtStart.toFixed(2)} ≥ 1 at start: the machine is busy; these figures are not quotable`);
  await api.dispose();
} finally {
  server.kill("SIGTERM");
}
