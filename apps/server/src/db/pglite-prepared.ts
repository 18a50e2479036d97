/**
 * Named prepared statements on PGlite (the embedded database of `pnpm start`). PGlite's `query()`
 * sends every statement unnamed, so PostgreSQL parses and plans it on every call — for the admin
 * reads (`admin-reads.ts`) planning was ≈ 90 % of the statement's time (docs/performance.md). Here
 * each statement text is parsed once under a name (Parse), and each call only binds and executes
 * it: PostgreSQL keeps the plan (a generic one once it costs no more than the custom ones).
 *
 * Only for read statements (`select …`) outside a transaction: `db/client.ts` sends every such
 * `query()` here (drizzle's selects and `DatabaseHandle.query`), anything else to PGlite as before.
 * It takes PGlite's transaction mutex as its own `query()` does (never inside someone's
 * transaction), then the protocol exclusively; the wire messages are PGlite's own serialisers and
 * result parser, with the caller's options (drizzle's `rowMode` and parsers). At most
 * `MAX_STATEMENTS` texts are kept; past that a text is run unnamed, as PGlite would.
 */
import { type PGlite, parse as pgParse, protocol, type QueryOptions, type Results } from "@electric-sql/pglite";

const { parseResults, parseDescribeStatementResults } = pgParse;
const { serialize } = protocol;
type BackendMessage = Parameters<typeof parseResults>[0][number];

interface Prepared {
  name: string;
  /** Parameter type OIDs, for PGlite's serialisers (dates, JSON, arrays …). */
  types: number[];
}

const MAX_STATEMENTS = 256;
/** A statement that only reads: the ones worth preparing and safe to run without a sync to disk. */
export const isReadStatement = (text: string) => /^\s*select\s/i.test(text);

export function pglitePreparedQuery(client: PGlite) {
  const statements = new Map<string, Prepared>();
  const send = async (message: Uint8Array, into?: BackendMessage[]) => {
    const { messages } = await client.execProtocol(message, { syncToFs: false });
    if (into) for (const m of messages) into.push(m);
    return messages;
  };
  return <T>(text: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> => {
    // A closed database, and texts past the cap, take PGlite's own path (and its "PGlite is closed" error).
    if (client.closed || (!statements.has(text) && statements.size >= MAX_STATEMENTS)) return client.query<T>(text, params, options);
    return client._runExclusiveTransaction(() =>
      client.runExclusive(async () => {
        const results: BackendMessage[] = [];
        try {
          let statement = statements.get(text);
          if (!statement) {
            const name = `oidc_read_${statements.size + 1}`;
            await send(serialize.parse({ name, text }));
            const types = parseDescribeStatementResults(await send(serialize.describe({ type: "S", name })));
            statement = { name, types };
            statements.set(text, statement);
          }
          const { types } = statement;
          const values = params.map((value, i) => {
            if (value === null || value === undefined) return null;
            const oid = types[i] as number;
            const serializer = options?.serializers?.[oid] ?? client.serializers[oid];
            return serializer ? serializer(value) : String(value);
          });
          await send(serialize.bind({ statement: statement.name, values }), results);
          await send(serialize.describe({ type: "P" }), results);
          await send(serialize.execute({}), results);
        } finally {
          await send(serialize.sync(), results);
        }
        return parseResults(results, client.parsers, options)[0] as Results<T>;
      }),
    );
  };
}
