import { defineConfig, devices } from "@playwright/test";
import { BASE_URL, CHROMIUM_ARGS, chromiumPath, PASSWORD, PORT } from "./support/env";

const CI = Boolean(process.env.CI);
const executablePath = chromiumPath();

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results",
  fullyParallel: false,
  workers: 2,
  retries: CI ? 1 : 0,
  forbidOnly: CI,
  timeout: 30_000,
  expect: { timeout: 7_000 },
  reporter: CI ? [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]] : [["list"]],
  use: {
    baseURL: BASE_URL,
    trace: "on-first-retry",
    launchOptions: { args: CHROMIUM_ARGS, ...(executablePath ? { executablePath } : {}) },
  },
  projects: [
    { name: "setup", testMatch: /auth\.setup\.ts/ },
    {
      name: "chromium",
      use: { ...devices["Desktop Chrome"], launchOptions: { args: CHROMIUM_ARGS, ...(executablePath ? { executablePath } : {}) } },
      dependencies: ["setup"],
    },
  ],
  webServer: {
    command: "node scripts/serve.mjs",
    url: `${BASE_URL}/readyz`,
    reuseExistingServer: false,
    timeout: 120_000,
    env: { E2E_PORT: String(PORT), E2E_PASSWORD: PASSWORD },
    stdout: "ignore",
    stderr: "pipe",
  },
});
