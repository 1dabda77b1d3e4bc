/**
 * `npm run emulator -- --port 4566 --data-dir .data/emulator --manifest pipeline.json --no-iam`
 * Prints `emulator ready <url>` once listening; stops cleanly on SIGINT/SIGTERM.
 */
import { createLogger } from "../../../packages/core/src/logger.ts";
// The scripts' one parser: --help prints the usage (exit 0); an unknown flag prints it on stderr (exit 2).
import { parseCli } from "../../../scripts/dev/parse-cli.ts";
import { startEmulator } from "./start-emulator.ts";

const usage = `Usage: npm run emulator -- [options]

The embedded AWS (SQS, S3, Secrets Manager) on one port. Prints "emulator ready <url>".

Options:
  --port N            port to listen on (EMULATOR_PORT; default 4566; 0 = a free port)
  --host HOST         address to listen on (default 127.0.0.1)
  --data-dir DIR      persist state here (EMULATOR_DATA_DIR; memory only when unset)
  --manifest FILE     provision queues, buckets and secrets from this pipeline.json
  --environment NAME  environment of the manifest's resource names (PIPELINE_ENV; default local)
  --region REGION     default us-east-1
  --iam / --no-iam    enforce SigV4 signatures and IAM (default off: the CLI has no principals)
  --verbose           debug logs on stderr
  -h, --help          this text`;

const values = parseCli(
  process.argv.slice(2),
  {
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
  usage,
);

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
