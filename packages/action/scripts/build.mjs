// Bundles the action into one file, dist/index.js, which the runner executes directly (committed).
// `node scripts/build.mjs --check` fails when the committed file is not what the sources build to.
import { readFileSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

export const buildOptions = {
  entryPoints: ["src/index.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  // The oldest Node the bundle must parse on: the runner uses node24 (action.yml); the tests run it on Node 20.19+.
  target: "node20",
  legalComments: "none",
  banner: { js: "// Built from packages/action/src by `pnpm --filter @oidc/action build`. Do not edit." },
  logLevel: "warning",
};

const check = process.argv.includes("--check");
const out = await build({ ...buildOptions, write: false, absWorkingDir: new URL("..", import.meta.url).pathname });
const code = out.outputFiles[0].text;
const target = new URL("../dist/index.js", import.meta.url);
if (check) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {}
  if (current !== code) {
    process.stderr.write("packages/action/dist/index.js is out of date: run `pnpm --filter @oidc/action build` and commit it\n");
    process.exit(1);
  }
} else {
  writeFileSync(target, code);
}
