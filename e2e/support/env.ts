import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const PORT = Number(process.env.E2E_PORT ?? 3210);
export const BASE_URL = `http://localhost:${PORT}`;
export const PASSWORD = "e2e-demo-password";
export const ORG = "octo-org";
export const USERS = {
  admin: { email: "admin@example.com", storageState: fileURLToPath(new URL("../.auth/admin.json", import.meta.url)) },
  viewer: { email: "viewer@example.com", storageState: fileURLToPath(new URL("../.auth/viewer.json", import.meta.url)) },
} as const;

/** Where a system Chromium usually is: Debian/Ubuntu packages, Snap, Homebrew casks on macOS. */
export const SYSTEM_CHROMIUM = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/snap/bin/chromium",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

/**
 * CHROMIUM_PATH, else a system Chromium (CI installs Debian's), else none: Playwright's own browser.
 * E2E_SYSTEM_CHROMIUM=none skips the system one (to run on Playwright's Chromium anyway).
 */
export function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  if (process.env.E2E_SYSTEM_CHROMIUM === "none") return undefined;
  return SYSTEM_CHROMIUM.find((path) => existsSync(path));
}

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/**
 * Screenshots for docs/screenshots, written only with UPDATE_SCREENSHOTS=1 (`pnpm --filter @oidc/e2e
 * screenshots`), so that an ordinary test run leaves the working tree clean.
 */
export function screenshotPath(name: string): string | undefined {
  return process.env.UPDATE_SCREENSHOTS ? fileURLToPath(new URL(`../../docs/screenshots/${name}.png`, import.meta.url)) : undefined;
}
