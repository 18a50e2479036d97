import { z } from "zod";
import { ConnectionStatusSchema, OrgSlugSchema } from "./common";
import { ConnectionCreateSchema } from "./connections";

/**
 * One connection in a connections-as-code file (SPEC §10): the create body without `type` (always
 * github-actions) plus its status. Connections are keyed by name, rulesets by label.
 */
export const ConnectionFileEntrySchema = ConnectionCreateSchema.omit({ type: true }).extend({
  status: ConnectionStatusSchema.default("active"),
});
export type ConnectionFileEntry = z.output<typeof ConnectionFileEntrySchema>;

export const ConnectionsFileSchema = z
  .strictObject({
    /** The organisation the file is for; `--org` must agree when both are given. */
    org: OrgSlugSchema.optional(),
    connections: z.array(ConnectionFileEntrySchema).default([]),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.connections.forEach((c, i) => {
      const key = c.name.toLowerCase();
      if (seen.has(key))
        ctx.addIssue({ code: "custom", path: ["connections", i, "name"], message: "Another connection already has this name" });
      seen.add(key);
    });
  });
export type ConnectionsFile = z.output<typeof ConnectionsFileSchema>;

/** The JSON Schema of the file, for editors (`# yaml-language-server: $schema=<url>`); generated, never written by hand. */
export function connectionsFileJsonSchema(id?: string): Record<string, unknown> {
  const { $schema: _, ...schema } = z.toJSONSchema(ConnectionsFileSchema, { io: "input", target: "draft-2020-12", unrepresentable: "any" });
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    ...(id ? { $id: id } : {}),
    title: "OIDC Connections: connections as code",
    ...schema,
  };
}
