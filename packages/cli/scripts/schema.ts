// Writes connections-file.schema.json (for editors) from the shared zod schema; `--check` fails when
// the committed file is not what the schema generates (compared as JSON: the formatter may re-indent it).
import { readFileSync, writeFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { connectionsFileJsonSchema } from "@oidc/shared";

const target = new URL("../connections-file.schema.json", import.meta.url);
const schema = connectionsFileJsonSchema();
if (process.argv.includes("--check")) {
  let current: unknown;
  try {
    current = JSON.parse(readFileSync(target, "utf8"));
  } catch {}
  if (!isDeepStrictEqual(current, schema)) {
    process.stderr.write(
      "packages/cli/connections-file.schema.json is out of date: run `pnpm --filter @oidc/connections-cli schema && pnpm format`\n",
    );
    process.exit(1);
  }
} else {
  writeFileSync(target, `${JSON.stringify(schema, null, 2)}\n`);
}
