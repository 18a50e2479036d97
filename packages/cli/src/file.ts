import { type Connection, type ConnectionsFile, ConnectionsFileSchema, GITHUB_ACTIONS_ISSUER, MAX_TOKEN_TTL } from "@oidc/shared";
import { parseDocument, stringify } from "yaml";

/** Parses and validates a connections file with the same shared schema the server validates with. */
export function parseConnectionsFile(text: string, source: string): ConnectionsFile {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) throw new Error(`${source}: not valid YAML:\n${doc.errors.map((e) => `  ${e.message}`).join("\n")}`);
  const parsed = ConnectionsFileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const at = i.path.length ? i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("") : "(file)";
      const extra = i.code === "unrecognized_keys" ? ` (${i.keys.join(", ")})` : "";
      return `  ${at.replace(/^\./, "")}: ${i.message}${extra}`;
    });
    throw new Error(`${source}: not a valid connections file:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

/** The org's connections as a file: defaults left out, sorted by name, so that exports diff cleanly. */
export function exportConnections(org: string, connections: Connection[], schemaUrl: string): string {
  const entries = connections.map((c) => ({
    name: c.name,
    ...(c.description ? { description: c.description } : {}),
    ...(c.issuer !== GITHUB_ACTIONS_ISSUER ? { issuer: c.issuer } : {}),
    ...(c.maxTokenTtlSeconds !== MAX_TOKEN_TTL ? { maxTokenTtlSeconds: c.maxTokenTtlSeconds } : {}),
    ...(c.status !== "active" ? { status: c.status } : {}),
    rulesets: c.rulesets.map((r) => ({
      label: r.label,
      subject: r.subject,
      ...(r.conditions.length ? { conditions: r.conditions } : {}),
      resources: r.resources,
      scopes: r.scopes,
      ...(r.mode !== "enforce" ? { mode: r.mode } : {}),
      ...(r.expiresAt !== null ? { expiresAt: r.expiresAt } : {}),
    })),
  }));
  return `# yaml-language-server: $schema=${schemaUrl}\n${stringify({ org, connections: entries }, { lineWidth: 0 })}`;
}
