import { Hono } from "hono";
import type { AppEnv, Deps } from "../http/context";
import { sessionCookieName } from "../http/session-cookie";
import { buildOpenApiDocument, connectionsFileSchemaDocument } from "../openapi/document";
import { DOCS_HTML, DOCS_JS } from "../openapi/page";

/** `/api/openapi.json`, `/api/docs` and the connections-file schema (SPEC §10): public, built once. */
export function docsRoutes(deps: Deps) {
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  let fileSchema: ReturnType<typeof connectionsFileSchemaDocument> | undefined;
  const cache = "public, max-age=300";
  return new Hono<AppEnv>()
    .get("/openapi.json", (c) => {
      document ??= buildOpenApiDocument({ publicUrl: deps.env.publicUrl, sessionCookie: sessionCookieName(deps.env) });
      c.header("Cache-Control", cache);
      return c.json(document, 200);
    })
    .get("/connections-file.schema.json", (c) => {
      fileSchema ??= connectionsFileSchemaDocument(deps.env.publicUrl);
      c.header("Cache-Control", cache);
      return c.json(fileSchema, 200);
    })
    .get("/docs", (c) => {
      c.header("Cache-Control", cache);
      return c.html(DOCS_HTML);
    })
    .get("/docs.js", (c) => {
      c.header("Cache-Control", cache);
      c.header("Content-Type", "text/javascript; charset=utf-8");
      return c.body(DOCS_JS, 200);
    });
}
