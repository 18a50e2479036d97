// Bundles the CLI (with @oidc/shared, zod and yaml) into one file that runs with plain Node 20:
// dist/oidc-connections.js, the package's `bin`. It needs nothing of the server.
import { chmodSync } from "node:fs";
import { build } from "esbuild";

const outfile = new URL("../dist/oidc-connections.js", import.meta.url).pathname;
await build({
  entryPoints: [new URL("../src/index.ts", import.meta.url).pathname],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  legalComments: "none",
  banner: {
    // yaml ships CommonJS, which requires Node built-ins: give the ES module bundle a `require`.
    js: [
      "#!/usr/bin/env node",
      "// Built from packages/cli/src by `pnpm --filter @oidc/connections-cli build`.",
      'import { createRequire as __createRequire } from "node:module";',
      "const require = __createRequire(import.meta.url);",
    ].join("\n"),
  },
  logLevel: "warning",
});
chmodSync(outfile, 0o755);
