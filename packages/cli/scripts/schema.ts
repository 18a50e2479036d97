// Writes connections-file.schema.json (for editors) from the shared zod schema; `--check` fails when
// the committed file is not what the schema generates.
import { readFileSync, writeFileSync } from "node:fs";
import { connectionsFileJsonSchema } from "@oidc/shared";

const target = new URL("../connections-file.schema.json", import.meta.url);
const text = `${JSON.stringify(connectionsFileJsonSchema(), null, 2)}\n`;
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {}
  if (current !== text) {
    process.stderr.write("packages/cli/connections-file.schema.json is out of date: run `pnpm --filter @oidc/connections-cli schema`\n");
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
}
