import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { productionNodeFlags, startFlags } from "../bench/proc";

/**
 * The server's node flags (docs/operations.md, "Node's young generation") are written in three
 * places that start it — apps/server's `start` script, the root `pnpm start` and the Dockerfile —
 * and the benches read them from the first: they must stay the same.
 */
const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");

describe("the server's node flags", () => {
  const flags = productionNodeFlags();

  it("apps/server's start script sets the young generation's size", () => {
    expect(flags).toContainEqual(expect.stringMatching(/^--max-semi-space-size=\d+$/));
    expect(startFlags("DEV_ISSUER=1 node --a=1 --b dist/index.js")).toEqual(["--a=1", "--b"]);
  });

  it("the root pnpm start and start:demo use the same", () => {
    const root = JSON.parse(read("../../../package.json")) as { scripts: Record<string, string> };
    const server = JSON.parse(read("../package.json")) as { scripts: Record<string, string> };
    expect(startFlags(root.scripts.start ?? "")).toEqual(flags);
    expect(startFlags(server.scripts["start:demo"] ?? "")).toEqual(flags);
  });

  it("the Dockerfile's CMD uses the same", () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read("../../../Dockerfile"))?.[1];
    expect(startFlags((JSON.parse(cmd ?? "[]") as string[]).join(" "))).toEqual(flags);
  });
});
