// Runs before the end-to-end tests (`pnpm --filter @oidc/e2e test`): makes sure there is a browser,
// so that `pnpm install && pnpm test` works on a fresh machine. CHROMIUM_PATH or a system Chromium
// when there is one (CI installs Debian's); otherwise Playwright's own Chromium, installed once into
// Playwright's cache (`playwright install chromium`, from Playwright's download server).
// `--dry-run` says what it would do and does nothing.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "@playwright/test";
import { chromiumPath } from "../support/env";

const dryRun = process.argv.includes("--dry-run");
const system = chromiumPath();
const bundled = chromium.executablePath();

if (system) {
  if (!existsSync(system)) {
    console.error(`e2e: CHROMIUM_PATH=${system} does not exist; unset it to use a system or Playwright's Chromium`);
    process.exit(1);
  }
  console.log(`e2e: using the system Chromium at ${system}`);
} else if (existsSync(bundled)) {
  console.log(`e2e: no system Chromium; using Playwright's at ${bundled}`);
} else {
  console.log("e2e: no Chromium found (CHROMIUM_PATH, /usr/bin/chromium, …): installing Playwright's: playwright install chromium");
  if (!dryRun) {
    const cli = createRequire(import.meta.url).resolve("@playwright/test/cli");
    try {
      execFileSync(process.execPath, [cli, "install", "chromium"], { stdio: "inherit" });
    } catch {
      console.error(
        "e2e: could not install Playwright's Chromium. Install a Chromium (e.g. apt-get install chromium) or set CHROMIUM_PATH, then run the tests again.",
      );
      process.exit(1);
    }
  }
}
