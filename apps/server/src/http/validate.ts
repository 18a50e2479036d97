import type { Context } from "hono";
import { validator } from "hono/validator";
import type { z } from "zod";
import { NotFound, ValidationFailed } from "../domain/errors";
import { zodIssues } from "./errors";

/**
 * JSON body checked against a shared schema. A body that is not JSON, not `application/json` or
 * has unknown fields is a 400 `validation_failed` with issues (SPEC §5).
 */
export const jsonBody = <S extends z.ZodType>(schema: S) =>
  // Explicit generics: the typed client (Hono RPC) then asks for the schema's input (defaults
  // optional), while handlers get its output from c.req.valid("json").
  validator<z.input<S>, string, string, "json", string, (value: z.input<S>, c: Context) => Promise<z.output<S>>>(
    "json",
    async (_value, c) => {
      const type = c.req.header("content-type") ?? "";
      if (!/^application\/json\b/i.test(type)) {
        throw new ValidationFailed([{ path: [], message: "Send the body as JSON (Content-Type: application/json)" }]);
      }
      let body: unknown;
      try {
        const text = await c.req.text();
        body = JSON.parse(text);
      } catch {
        throw new ValidationFailed([{ path: [], message: "Malformed JSON" }], "The request body is not valid JSON");
      }
      const parsed = schema.safeParse(body);
      if (!parsed.success) throw new ValidationFailed(zodIssues(parsed.error));
      return parsed.data as z.output<S>;
    },
  );

/** The query string checked against a shared schema: one value per key (the last when repeated). */
export function parseQuery<S extends z.ZodType>(schema: S, queries: Record<string, string | string[]>) {
  const flat: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(queries)) flat[k] = Array.isArray(v) ? v[v.length - 1] : v;
  return schema.safeParse(flat);
}

export const query = <S extends z.ZodType>(schema: S) =>
  validator("query", (value) => {
    const parsed = parseQuery(schema, value);
    if (!parsed.success) throw new ValidationFailed(zodIssues(parsed.error), "The query string is not valid; see issues");
    return parsed.data as z.output<S>;
  });

/** Whether a path segment has the shape of a UUID (`uuidParam`'s test). */
export const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

/** A malformed id is a 404 like an unknown one (same body). */
export const uuidParam = (value: string) => {
  if (!isUuid(value)) throw new NotFound();
  return value.toLowerCase();
};
