import { ActionError, nodeRuntime, run } from "./main";

run(nodeRuntime()).catch((error: unknown) => {
  const message =
    error instanceof ActionError ? error.message : `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
  process.stdout.write(`::error::${message.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A")}\n`);
  process.exitCode = 1;
});
