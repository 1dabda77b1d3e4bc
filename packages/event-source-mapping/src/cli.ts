/**
 * `node event-source-mapping.mjs` (the worker image under compose) or `tsx src/cli.ts`: runs one
 * function's event source mapping until SIGTERM/SIGINT, then lets the running batch finish
 * (up to the function's timeout) and exits 0. A bad configuration exits 78 with its message.
 */
import { createLogger, errorMessage } from "@bluemoxon/core";
import { runEventSourceMapping } from "./run-event-source-mapping.ts";

const log = createLogger({ service: "event-source-mapping" });
let mapping: Awaited<ReturnType<typeof runEventSourceMapping>>;
try {
  mapping = await runEventSourceMapping(process.env, log);
} catch (error) {
  log.error("cannot start the event source mapping", { error: errorMessage(error) });
  process.exit(78);
}

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info("stopping: finishing running batches", { signal, function: mapping.function });
  void mapping.stop().then(() => process.exit(0));
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
