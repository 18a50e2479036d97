// Prints the console's initial JavaScript (entry chunk + its static imports) gzip size from the
// Vite manifest, and the lazy route chunks. Run after `vite build`. Exits 1 over the 200 KB budget.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const dist = new URL("../dist/", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL(".vite/manifest.json", dist), "utf8"));
const BUDGET = 200 * 1024;

const gz = (file) => gzipSync(readFileSync(new URL(file, dist)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

function closure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const dep of manifest[key]?.imports ?? []) closure(dep, seen);
  return seen;
}

const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);
const initial = [...closure(entryKey)];
const initialJs = initial.reduce((sum, k) => sum + gz(manifest[k].file), 0);
const css = (manifest[entryKey].css ?? []).reduce((sum, f) => sum + gz(f), 0);

console.log(`Initial JavaScript (gzip): ${kb(initialJs)} in ${initial.length} file(s) — budget ${kb(BUDGET)}`);
console.log(`Initial CSS (gzip):        ${kb(css)}`);
console.log("Lazy route chunks (gzip, own file only):");
for (const [key, chunk] of Object.entries(manifest)) {
  if (!chunk.isDynamicEntry) continue;
  const extra = [...closure(key)].filter((k) => !initial.includes(k));
  const total = extra.reduce((sum, k) => sum + gz(manifest[k].file), 0);
  console.log(
    `  ${key.replace("src/app/routes/", "").padEnd(32)} ${kb(gz(chunk.file)).padStart(9)}  (with its shared chunks ${kb(total)})`,
  );
}
if (initialJs > BUDGET) {
  console.error("Over budget");
  process.exit(1);
}
