// Starts the built product the README's way (node apps/server/dist/index.js) on a fresh embedded
// database: the data folder is deleted first and DATABASE_URL is ignored, so every run starts clean.
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dataDir = process.env.E2E_DATA_DIR ?? fileURLToPath(new URL("../.tmp/data", import.meta.url));
rmSync(dataDir, { recursive: true, force: true });

const port = process.env.E2E_PORT ?? "3210";
delete process.env.DATABASE_URL;
delete process.env.NODE_ENV;
delete process.env.PUBLIC_URL;
Object.assign(process.env, {
  PORT: port,
  DATA_DIR: dataDir,
  ADMIN_PASSWORD: process.env.E2E_PASSWORD ?? "e2e-demo-password",
  DEV_ISSUER: "1",
  API_RATE_LIMIT: "0",
  LOGIN_RATE_LIMIT: "0",
  LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? "warn",
});

await import("../../apps/server/dist/index.js");
