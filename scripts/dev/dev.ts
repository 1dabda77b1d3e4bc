/**
 * `npm start`: the whole pipeline on this machine (see start-stack.ts), with hot reload.
 *
 *   npm start [-- --no-watch] [--verbose] [--lambda-cpu]
 *
 * Env: DATA_DIR (.local), PORT (3000), EMULATOR_PORT (4566), EBAY_FIXTURE_PORT (4568) — 0 picks a
 * free port —, DATABASE_URL (use this server instead of PGlite), DEV_API_KEY, EBAY_FIXTURE_DIR,
 * RETRY_SWEEP_INTERVAL_SECONDS (15), LOG_LEVEL, DEV_VERBOSE=1 (stream the processes' logs).
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chalk } from "zx";
import { DataDirLockedError } from "./data-dir-lock.ts";
import { parseCli } from "./parse-cli.ts";
import { type InspectTarget, inspectTargets, stackRoot, startStack } from "./start-stack.ts";

const usage = `usage: npm start [-- --no-watch] [--verbose] [--lambda-cpu] [--inspect=worker|api]

  --no-watch    no hot reload (by default a change under services/api or packages/core restarts
                the API, under services/worker replaces the worker's handler processes, and to
                pipeline.json re-provisions the local AWS)
  --verbose     stream every process's log lines (also DEV_VERBOSE=1)
  --lambda-cpu  the worker's engine sizes its threads as on Lambda (from the function's memory)
                instead of using this machine's idle cores (BG_THREADS=auto): for rehearsals
  --inspect=T   start T (worker: the worker's handler process; api: the API) with an inspector on
                a free loopback port; its ws:// URL is on the ready line and in stack.json. The
                worker then runs one slot with no timeout kill`;

/**
 * The stack's environment. Under npm start the background-removal engine uses the machine's idle
 * cores (BG_THREADS=auto, unless set); `--lambda-cpu` leaves BG_THREADS unset, so the engine sizes
 * its threads from AWS_LAMBDA_FUNCTION_MEMORY_SIZE as on Lambda. compose never sets it.
 */
export function stackEnv(env: NodeJS.ProcessEnv, lambdaCpu: boolean): NodeJS.ProcessEnv {
  const { BG_THREADS, ...rest } = env;
  return lambdaCpu ? rest : { ...rest, BG_THREADS: BG_THREADS?.trim() || "auto" };
}

function portFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`${name} must be a port number (0 = any free port), got "${raw}"`);
  return n;
}

function fail(message: string): never {
  console.error(chalk.red(`npm start: ${message}`));
  process.exit(1);
}

export async function main(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const flags = parseCli(
    args,
    { "no-watch": { type: "boolean" }, verbose: { type: "boolean" }, "lambda-cpu": { type: "boolean" }, inspect: { type: "string" } },
    usage,
  );
  const inspect = flags.inspect as InspectTarget | undefined;
  if (inspect !== undefined && !inspectTargets.includes(inspect)) {
    console.error(`--inspect must be one of ${inspectTargets.join(", ")}, got "${flags.inspect}"\n\n${usage}`);
    process.exit(2);
  }
  const started = performance.now();
  const dataDir = resolve(env.DATA_DIR?.trim() || join(stackRoot, ".local"));
  const ports = {
    api: portFromEnv(env, "PORT", 3000),
    emulator: portFromEnv(env, "EMULATOR_PORT", 4566),
    fixture: portFromEnv(env, "EBAY_FIXTURE_PORT", 4568),
  };
  const watch = !flags["no-watch"];
  let stop: (() => Promise<void>) | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log(chalk.dim("stopping…"));
    await stop?.();
    console.log(chalk.dim("stopped"));
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  try {
    const stack = await startStack({
      dataDir,
      ports,
      env: stackEnv(env, flags["lambda-cpu"] === true),
      watch,
      inspect,
      verbose: env.DEV_VERBOSE === "1" || flags.verbose,
      report: (line) => console.log(line.startsWith("reload:") && line.includes(" failed ") ? chalk.yellow(line) : line),
      onFatal: (message) => {
        console.error(chalk.red(message));
        void shutdown(1);
      },
    });
    stop = stack.stop;
    const { info } = stack;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `ready in ${seconds}s  dashboard=${info.dashboard}  api=${info.api}  docs=${info.docs}  emulator=${info.emulator}  ebay-fixture=${info.ebayFixture}  apiKey=${info.apiKey}${Object.entries(
        info.inspect ?? {},
      )
        .map(([target, url]) => `  inspect(${target})=${url}`)
        .join("")}`,
    );
    console.log(
      chalk.dim(
        `  logs: ${stack.logsDir}   stack: ${stack.stackFile}   ${watch ? "hot reload on (--no-watch turns it off)" : "hot reload off"}   Ctrl-C stops everything`,
      ),
    );
    const fixtureDir = env.EBAY_FIXTURE_DIR ? resolve(env.EBAY_FIXTURE_DIR) : join(stackRoot, "services/ebay-fixture/fixtures");
    const sample = readdirSync(fixtureDir).find((d) => existsSync(join(fixtureDir, d, "listing.json")));
    if (sample)
      console.log(chalk.dim(`  try: import https://www.ebay.com/itm/${sample} from the dashboard (served by the local eBay fixture)`));
  } catch (error) {
    if (error instanceof DataDirLockedError) fail(error.message);
    console.error(chalk.red(`npm start failed: ${(error as Error).message}`));
    await shutdown(1);
  }
}
