/**
 * `npm run emulator -- --port 4566 --data-dir .data/emulator --manifest pipeline.json --no-iam`
 * Prints `emulator ready <url>` once listening; stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { createLogger } from "../../../packages/core/src/logger.ts";
import { startEmulator } from "./start-emulator.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    "data-dir": { type: "string" },
    manifest: { type: "string" },
    environment: { type: "string" },
    region: { type: "string" },
    "no-iam": { type: "boolean" },
    iam: { type: "boolean" },
    verbose: { type: "boolean" },
  },
});

const portText = values.port ?? process.env.EMULATOR_PORT ?? "4566";
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port / EMULATOR_PORT must be a port number, got "${portText}"`);
  process.exit(2);
}

// Logs go to stderr: stdout carries the ready line (and the admin token) for whoever started us.
const log = createLogger({
  service: "emulator",
  level: values.verbose ? "debug" : "warn",
  write: (line) => process.stderr.write(`${line}\n`),
});

try {
  // IAM enforcement needs principals from the manifest; the CLI alone has none, so it runs open unless --iam is given.
  const emulator = await startEmulator({
    port,
    host: values.host ?? "127.0.0.1",
    dataDir: values["data-dir"] ?? process.env.EMULATOR_DATA_DIR,
    manifest: values.manifest,
    environment: values.environment ?? process.env.PIPELINE_ENV ?? "local",
    region: values.region,
    iam: values.iam && !values["no-iam"] ? { enforce: true, principals: [] } : undefined,
    adminToken: process.env.EMULATOR_ADMIN_TOKEN || undefined,
    log,
  });
  process.stdout.write(`emulator ready ${emulator.url}\n`);
  // Without a data folder the only way to hand out the per-start token of /_emulator/* is to say it.
  if (!values["data-dir"] && !process.env.EMULATOR_DATA_DIR && !process.env.EMULATOR_ADMIN_TOKEN) {
    process.stdout.write(`emulator admin token ${emulator.adminToken}\n`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    await emulator.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
} catch (error) {
  console.error(`emulator failed to start: ${(error as Error).message}`);
  process.exit(1);
}
