import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

it("dist/index.js is built from the current sources (run `pnpm --filter @oidc/action build` and commit it)", () => {
  const root = fileURLToPath(new URL("..", import.meta.url));
  expect(() => execFileSync(process.execPath, ["scripts/build.mjs", "--check"], { cwd: root, stdio: "pipe" })).not.toThrow();
});
