import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openDatabase, postgresTarget } from "../src/db/client";

/** DATABASE_URL may name a Unix-domain socket the libpq way (`?host=/directory`): docs/operations.md. */
describe("postgresTarget", () => {
  it("leaves a TCP URL as it is", () => {
    expect(postgresTarget("postgres://app:secret@db.internal:6432/oidc?sslmode=require")).toEqual({
      url: "postgres://app:secret@db.internal:6432/oidc?sslmode=require",
    });
  });

  it("turns ?host=/directory into postgres.js's socket path, with the URL's port, and keeps the other parameters", () => {
    expect(postgresTarget("postgres://app@localhost/oidc?host=/var/run/postgresql/&sslmode=disable")).toEqual({
      url: "postgres://app@localhost/oidc?sslmode=disable",
      path: "/var/run/postgresql/.s.PGSQL.5432",
    });
    expect(postgresTarget("postgresql://app@localhost:6543/oidc?host=%2Frun%2Fpg").path).toBe("/run/pg/.s.PGSQL.6543");
  });

  it("keeps a host parameter that is not a directory (a host name) in the URL", () => {
    expect(postgresTarget("postgres://app@localhost/oidc?host=db.internal")).toEqual({
      url: "postgres://app@localhost/oidc?host=db.internal",
    });
  });
});

// The local server's socket (Debian's default directory), when this machine has one and DATABASE_URL is set.
const SOCKET_DIR = "/var/run/postgresql";
const base = process.env.DATABASE_URL;
const local = base && ["localhost", "127.0.0.1"].includes(new URL(base).hostname);
const socketPort = base ? new URL(base).port || "5432" : "5432";

describe.runIf(local && existsSync(`${SOCKET_DIR}/.s.PGSQL.${socketPort}`))("openDatabase over a Unix-domain socket", () => {
  it("connects through the socket (the server sees no client address)", async () => {
    const url = new URL(base ?? "");
    url.searchParams.set("host", SOCKET_DIR);
    const handle = await openDatabase({ databaseUrl: url.toString(), dataDir: "unused", poolSize: 1 });
    try {
      const [row] = await handle.query<{ address: string | null }>("select inet_client_addr()::text as address", []);
      expect(row).toEqual({ address: null });
    } finally {
      await handle.close();
    }
  });
});
