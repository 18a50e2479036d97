/**
 * `pnpm bench`: every benchmark, one after the other, each in its own process so that none
 * inherits another's warmed-up state. Prints figures; asserts nothing. Run one alone with
 * `pnpm --filter @oidc/server exec tsx bench/<name>.ts`.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const benches = ["matcher", "admin", "exchange"];
const only = process.argv.slice(2);
let failed = 0;
for (const name of benches) {
  if (only.length && !only.includes(name)) continue;
  process.stdout.write(`\n### bench/${name}.ts\n`);
  const result = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(new URL(`./${name}.ts`, import.meta.url))], {
    stdio: "inherit",
    cwd: fileURLToPath(new URL("..", import.meta.url)),
  });
  if (result.status !== 0) {
    failed++;
    process.stdout.write(`bench/${name}.ts exited with ${result.status ?? result.signal}\n`);
  }
}
process.exit(failed ? 1 : 0);
