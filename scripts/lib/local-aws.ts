/**
 * The local AWS of `npm start`: the embedded emulator (provisioned from `pipeline.json`, IAM
 * enforced with one principal per service) plus the SQS trigger running the worker's handler,
 * the way an event source mapping runs the Lambda in AWS.
 *
 * Started by `npm start` (scripts/dev/start-stack.ts) as a child process. Reads its settings from the environment,
 * writes the services' credentials to `$LOCAL_AWS_DIR/credentials.json` (mode 0600, never
 * printed), prints one line `local-aws ready {"url":…}` and stops cleanly on SIGTERM/SIGINT:
 * running batches finish (bounded), then queues and objects are flushed to disk.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createDb, createLogger, type LogLevel, loadManifest, migrationsDir, resourceNames } from "@bluemoxon/core";
import { startEmulator } from "@bluemoxon/emulator";
import { startTriggers } from "@bluemoxon/event-source-mapping";
import { createPrincipals } from "../../services/emulator/src/iam/index.ts";
import { inspectorUrl } from "./inspector-url.ts";
import { secretFile } from "./secret-file.ts";

const env = process.env;
const dir = env.LOCAL_AWS_DIR ?? ".local/aws";
const port = Number(env.EMULATOR_PORT ?? 4566);
const enforceIam = env.EMULATOR_IAM !== "off";
const environment = "local";
/** The worker's code is this checkout's (a temp copy of it in the hot-reload tests), like Lambda's /var/task. */
const taskRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const log = createLogger({ service: "local-aws", level: (env.LOG_LEVEL as LogLevel) ?? "info" });

mkdirSync(dir, { recursive: true });
const manifest = loadManifest(env.PIPELINE_MANIFEST || join(taskRoot, "pipeline.json"));
const names = resourceNames(manifest, { environment });
// Keys derive from a seed kept in the data folder, so a restarted stack keeps its credentials.
const seed = secretFile(join(dir, "principals.seed"), () => randomBytes(32).toString("hex"));
const principals = createPrincipals(manifest, { environment, seed });
const apiKey = env.API_KEY;
if (!apiKey) throw new Error("API_KEY is required (npm start passes the stack's API key)");
log.redactValue(apiKey);

const emulator = await startEmulator({
  port,
  dataDir: join(dir, "state"),
  manifest,
  environment,
  secretValues: {
    "api-key": JSON.stringify({ keys: [apiKey] }),
    // The eBay fixture accepts any client credentials; these only have to be present.
    "ebay-credentials": JSON.stringify({ clientId: "local-fixture", clientSecret: seed.slice(0, 24) }),
  },
  iam: { enforce: enforceIam, principals: [principals.admin, ...Object.values(principals.services)] },
  log: log.child({ component: "emulator" }),
});

const credentials = Object.fromEntries(
  [principals.admin, ...Object.values(principals.services)].map((p) => [
    p.name,
    { accessKeyId: p.accessKeyId, secretAccessKey: p.secretAccessKey },
  ]),
);
writeFileSync(join(dir, "credentials.json"), JSON.stringify(credentials, null, 2), { mode: 0o600 });

/**
 * The worker must not take messages before the database is up and fully migrated (npm start starts
 * the database, the migrations and this process side by side).
 */
async function waitForMigratedDatabase(url: string, timeoutMs = 120_000) {
  const expected = readdirSync(migrationsDir).filter((f) => f.endsWith(".sql")).length;
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const sql = createDb({ url, max: 1, connectTimeout: 2, applicationName: "local-aws" });
    try {
      const [{ n }] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM schema_migrations`;
      if (n >= expected) return;
      last = `${n} of ${expected} migrations applied`;
    } catch (error) {
      last = (error as Error).message;
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the database at DATABASE_URL was not ready and migrated within ${timeoutMs / 1000}s (${last})`);
}

const worker = principals.services.worker;
// npm start -- --inspect=worker: the worker function's handler child gets an inspector on this port.
const inspectPort = Number(env.WORKER_INSPECT_PORT ?? 0);
const inspected = Object.entries(manifest.functions).find(([, f]) => f.service === "worker")?.[0];
if (env.LOCAL_AWS_TRIGGERS !== "off" && env.DATABASE_URL) await waitForMigratedDatabase(env.DATABASE_URL);
const triggers =
  env.LOCAL_AWS_TRIGGERS === "off"
    ? undefined
    : await startTriggers({
        endpoint: emulator.url,
        manifest,
        environment,
        credentials: ({ service }) => principals.services[service],
        functionEnv: {
          PIPELINE_ENV: environment,
          IMAGE_BUCKET: names.bucket("images"),
          DATABASE_URL: env.DATABASE_URL ?? "",
          AWS_ENDPOINT_URL: emulator.url,
          AWS_REGION: names.region,
          AWS_ACCESS_KEY_ID: worker.accessKeyId,
          AWS_SECRET_ACCESS_KEY: worker.secretAccessKey,
          LOG_LEVEL: env.LOG_LEVEL ?? "info",
          ...(env.BG_MODEL ? { BG_MODEL: env.BG_MODEL } : {}),
          // npm start's BG_THREADS=auto (idle cores); unset under --lambda-cpu, as on Lambda.
          ...(env.BG_THREADS ? { BG_THREADS: env.BG_THREADS } : {}),
          ...(env.PATH ? { PATH: env.PATH } : {}),
        },
        log: log.child({ component: "trigger" }),
        taskRoot,
        ...(inspectPort && inspected ? { inspect: { function: inspected, port: inspectPort } } : {}),
      });
// The debugged child is started before the first batch; its URL is known once it listens.
const inspect = triggers && inspectPort ? await inspectorUrl(inspectPort) : undefined;

console.log(`local-aws ready ${JSON.stringify({ url: emulator.url, iam: enforceIam, pid: process.pid, ...(inspect ? { inspect } : {}) })}`);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info("stopping", { signal });
  await triggers?.stop();
  await emulator.close();
  process.exit(0);
}
process.on("SIGTERM", () => void stop("SIGTERM"));
// Hot reload of the worker (npm start sends it): new handler children from the next batch on.
process.on("SIGUSR2", () => {
  const replaced = triggers?.recycle() ?? 0;
  log.info("worker code changed; handler children replaced at their next batch", { idleStopped: replaced });
});
process.on("SIGINT", () => void stop("SIGINT"));
