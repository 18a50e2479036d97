import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isReadStatement, pglitePreparedQuery } from "../src/db/pglite-prepared";

/** The embedded database's named prepared reads answer exactly what PGlite's own query() answers. */
describe("PGlite prepared reads (db/pglite-prepared.ts)", () => {
  let db: PGlite;
  let prepared: ReturnType<typeof pglitePreparedQuery>;
  const text = "select id, name, at, tags, meta from t where at >= $1 and id = any($2::int[]) order by id";

  beforeAll(async () => {
    db = new PGlite();
    await db.exec(`create table t (id int primary key, name text, at timestamptz, tags text[], meta jsonb);
      insert into t select g, 'n' || g, timestamptz '2026-01-01' + g * interval '1 day', array['a', 'b' || g], jsonb_build_object('g', g)
      from generate_series(1, 50) g;`);
    prepared = pglitePreparedQuery(db);
  });
  afterAll(() => db.close());

  it("answers as query() does, with typed parameters (a Date, an array), on the first call and the next ones", async () => {
    const params = [new Date("2026-01-10T00:00:00Z"), [3, 12, 40]];
    const expected = await db.query(text, params);
    for (let i = 0; i < 3; i++) expect(await prepared(text, params)).toEqual(expected);
    expect((await prepared(text, params)).rows.map((r) => (r as { id: number }).id)).toEqual([12, 40]);
  });

  it("keeps the caller's options: drizzle's rowMode array and its parsers", async () => {
    const options = { rowMode: "array" as const, parsers: { 1184: (v: string) => `raw:${v}` } };
    const expected = await db.query(text, [new Date("2026-01-01T00:00:00Z"), [1, 2]], options);
    expect(await prepared(text, [new Date("2026-01-01T00:00:00Z"), [1, 2]], options)).toEqual(expected);
    expect(expected.rows[0]).toEqual([1, "n1", expect.stringMatching(/^raw:2026-01-02/), ["a", "b1"], { g: 1 }]);
  });

  it("a statement with an error throws PostgreSQL's error and leaves the session usable", async () => {
    await expect(prepared("select nope from t where id = $1", [1])).rejects.toMatchObject({ code: "42703" });
    await expect(prepared("select id from t where id = $1", ["not a number"])).rejects.toMatchObject({ code: "22P02" });
    expect((await prepared("select id from t where id = $1", [7])).rows).toEqual([{ id: 7 }]);
  });

  it("waits for a transaction in progress instead of running inside it", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const tx = db.transaction(async (t) => {
      await t.query("update t set name = 'changed' where id = 1");
      await held;
      await t.rollback();
    });
    const read = prepared("select name from t where id = $1", [1]);
    release();
    await tx;
    expect((await read).rows).toEqual([{ name: "n1" }]);
  });

  it("only reads are prepared", () => {
    expect(isReadStatement("select 1")).toBe(true);
    expect(isReadStatement("  SELECT\n1")).toBe(true);
    expect(isReadStatement("with x as (insert into t values (1) returning 1) select * from x")).toBe(false);
    expect(isReadStatement("update t set name = $1")).toBe(false);
  });
});
