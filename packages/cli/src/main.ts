import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { OrgSlugSchema } from "@oidc/shared";
import { AdminClient, ApiFailure } from "./api";
import { exportConnections, parseConnectionsFile } from "./file";
import { computePlan, formatPlan, type Plan, type Step } from "./plan";

export interface Io {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  fetch?: typeof fetch;
  readFile?: (path: string) => string;
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_CHANGES = 2;

const USAGE = `oidc-connections: OIDC connections as code (export, plan, apply)

Usage:
  oidc-connections export [--org ORG] [--url URL]
  oidc-connections plan   -f connections.yaml [--prune] [--org ORG] [--url URL]
  oidc-connections apply  -f connections.yaml [--prune] [--org ORG] [--url URL]

  -f, --file   the connections file (YAML); "-" reads standard input
  --prune      also delete the org's connections that the file does not name
  --org        the organisation (default: the file's "org", or OIDC_CONNECTIONS_ORG)
  --url        the server (default: OIDC_CONNECTIONS_URL)

The API token comes from OIDC_CONNECTIONS_TOKEN (an owner token to apply, a member token is enough
to export and plan). Exit codes: 0 success and, for plan, no changes; 2 plan found changes; 1 error.
`;

class UsageError extends Error {}

export async function main(argv: string[], io: Io): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`Error: ${error.message}\n\n${USAGE}`);
    } else if (error instanceof ApiFailure) {
      io.stderr(`Error: ${describeFailure(error)}\n`);
    } else {
      io.stderr(`Error: ${(error as Error).message}\n`);
    }
    return EXIT_ERROR;
  }
}

function describeFailure(error: ApiFailure): string {
  const issues = error.issues.map((i) => `\n  ${i.path.join(".") || "(body)"}: ${i.message}`).join("");
  if (error.status === 401) return `the server refused the API token (${error.message}); check OIDC_CONNECTIONS_TOKEN`;
  if (error.status === 404 && error.code === "not_found")
    return `not found: the organisation does not exist or the token belongs to another one (${error.message})`;
  return `${error.message}${error.code ? ` [${error.status} ${error.code}]` : ` [${error.status}]`}${issues}`;
}

async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      file: { type: "string", short: "f" },
      prune: { type: "boolean", default: false },
      org: { type: "string" },
      url: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === "help") {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  if (!command || !["export", "plan", "apply"].includes(command))
    throw new UsageError(command ? `unknown command "${command}"` : "no command");
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);

  const file =
    command === "export"
      ? undefined
      : (() => {
          if (!values.file) throw new UsageError(`${command} needs -f <connections.yaml>`);
          const read = io.readFile ?? ((p: string) => readFileSync(p === "-" ? 0 : p, "utf8"));
          let text: string;
          try {
            text = read(values.file);
          } catch (error) {
            throw new Error(`cannot read ${values.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
          }
          return parseConnectionsFile(text, values.file);
        })();
  if (command === "export" && values.prune) throw new UsageError("--prune is for plan and apply");

  const url = values.url ?? io.env.OIDC_CONNECTIONS_URL;
  if (!url) throw new UsageError("say which server: --url https://oidc.example.com (or OIDC_CONNECTIONS_URL)");
  if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--url must be an http(s) URL, not "${url}"`);
  const host = new URL(url).hostname;
  if (url.startsWith("http://") && !["localhost", "127.0.0.1", "[::1]"].includes(host))
    io.stderr(`Warning: ${url} is plain http; the API token crosses the network unencrypted. Use https.\n`);
  const org = values.org ?? file?.org ?? io.env.OIDC_CONNECTIONS_ORG;
  if (!org) throw new UsageError("say which organisation: --org <slug> (or org: in the file, or OIDC_CONNECTIONS_ORG)");
  if (!OrgSlugSchema.safeParse(org).success) throw new UsageError(`"${org}" is not an organisation slug`);
  if (values.org && file?.org && values.org !== file.org)
    throw new Error(`the file is for organisation "${file.org}" but --org says "${values.org}"`);
  const token = io.env.OIDC_CONNECTIONS_TOKEN?.trim();
  if (!token) throw new UsageError("set OIDC_CONNECTIONS_TOKEN to an API token of the organisation");

  const client = new AdminClient({
    url,
    org,
    token,
    ...(io.fetch ? { fetch: io.fetch } : {}),
    onRateLimited: (seconds) => io.stderr(`The server's rate limit (API_RATE_LIMIT) was reached: waiting ${seconds} s, then going on.\n`),
  });
  const current = await client.readAll();
  if (command === "export") {
    io.stdout(exportConnections(org, current, `${url.replace(/\/+$/, "")}/api/connections-file.schema.json`));
    return EXIT_OK;
  }
  const plan = computePlan(current, file?.connections ?? [], values.prune);
  if (plan.errors.length) {
    io.stderr(`Error: the file asks for changes the API cannot make:\n${plan.errors.map((e) => `  ${e}`).join("\n")}\n`);
    return EXIT_ERROR;
  }
  io.stdout(formatPlan(plan));
  if (command === "plan") return plan.steps.length ? EXIT_CHANGES : EXIT_OK;
  return apply(client, plan, io);
}

async function apply(client: AdminClient, plan: Plan, io: Io): Promise<number> {
  if (!plan.steps.length) return EXIT_OK;
  let done = 0;
  for (const step of plan.steps) {
    try {
      await applyStep(client, step);
      done++;
      io.stdout(`${step.kind === "create" ? "Created" : step.kind === "update" ? "Changed" : "Deleted"} ${JSON.stringify(step.name)}\n`);
    } catch (error) {
      if (error instanceof ApiFailure && error.status === 412) {
        io.stderr(
          `Error: ${JSON.stringify(step.name)} was changed by someone else after this run read it (version ${
            step.kind === "create" ? "?" : step.current.version
          } is no longer current); nothing of it was overwritten. Run plan again to see the new state.\n`,
        );
      } else if (error instanceof ApiFailure) {
        io.stderr(`Error: ${JSON.stringify(step.name)}: ${describeFailure(error)}\n`);
      } else throw error;
      io.stderr(`Applied ${done} of ${plan.steps.length} changes; stopped at the first error.\n`);
      return EXIT_ERROR;
    }
  }
  io.stdout(`Apply complete: ${done} change${done === 1 ? "" : "s"}.\n`);
  return EXIT_OK;
}

async function applyStep(client: AdminClient, step: Step) {
  if (step.kind === "create") {
    const { status, ...body } = step.entry;
    const created = await client.create({ ...body, type: "github-actions" });
    if (status !== "active") await client.setStatus(created.id, created.version, status);
    return;
  }
  if (step.kind === "delete") {
    await client.delete(step.current.id, step.current.version);
    return;
  }
  let version = step.current.version;
  if (step.patch) version = (await client.patch(step.current.id, version, step.patch)).version;
  if (step.status) await client.setStatus(step.current.id, version, step.status);
}
