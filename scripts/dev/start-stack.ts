/**
 * The whole pipeline on this machine, in this process's care: the one way a stack is brought up,
 * used by `npm start` (scripts/dev/dev.ts) and by the e2e script when it needs a stack of its own.
 *
 *   embedded Postgres (PGlite; or DATABASE_URL) ─► migrations
 *   embedded AWS (SQS, S3, Secrets Manager, IAM from pipeline.json) + the worker under its SQS trigger
 *   eBay fixture (Browse API + photos) ─► API (+ dashboard, docs, retry sweep)
 *
 * Each part is a child process of the supervisor, started in dependency order, logging to
 * $DATA_DIR/logs/. When all answer, $DATA_DIR/stack.json is written. `stop()` stops them in
 * reverse order: the API first (no new work), the worker finishes its batch, then queues,
 * objects and the database are flushed. With `watch`, source changes reload the part they
 * belong to (see watch-sources.ts) and each reload prints one line.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadManifest, resourceNames } from "@bluemoxon/core";
import { freePort } from "../lib/free-port.ts";
import { inspectorUrl } from "../lib/inspector-url.ts";
import { secretFile } from "../lib/secret-file.ts";
import { acquireDataDirLock, type DataDirLock } from "./data-dir-lock.ts";
import { apiFunctionEnv } from "./function-env.ts";
import { Supervisor } from "./supervisor.ts";
import { type ReloadKind, watchSources } from "./watch-sources.ts";

/** The repository this module belongs to (a temp copy of it in the hot-reload tests). */
export const stackRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

export interface StackInfo {
  api: string;
  emulator: string;
  /** `authorization: Bearer …` for the emulator's `/_emulator/*`. */
  emulatorAdminToken: string;
  ebayFixture: string;
  apiKey: string;
  dashboard: string;
  docs: string;
  dataDir: string;
  database: string;
  /** How the functions reach it (stack.json is 0600; `npm run invoke` runs a function with it). */
  databaseUrl: string;
  pids: Record<string, number>;
  startedAt: string;
  /** `npm start -- --inspect=…`: the inspector's `ws://127.0.0.1:…` URL of the process debugged. */
  inspect?: Partial<Record<InspectTarget, string>>;
}

/** What `--inspect` can debug: the worker's handler process or the API's. */
export const inspectTargets = ["worker", "api"] as const;
export type InspectTarget = (typeof inspectTargets)[number];

export interface StartStackOptions {
  dataDir: string;
  /** 0 picks a free port. */
  ports?: { api?: number; emulator?: number; fixture?: number };
  env?: NodeJS.ProcessEnv;
  verbose?: boolean;
  /** Hot reload (default off here; `npm start` turns it on). */
  watch?: boolean;
  /** Where the one-line reload reports go. */
  report?: (line: string) => void;
  /** Start this process with an inspector on a free loopback port (the worker: one slot, no timeout kill). */
  inspect?: InspectTarget;
  /** A part that died for good: the stack cannot go on (default: throw nothing, just report). */
  onFatal?: (message: string) => void;
}

export interface RunningStack {
  info: StackInfo;
  stackFile: string;
  logsDir: string;
  stop(): Promise<void>;
  /** Resolves once a reload that is running or queued has finished (tests). */
  reloads(): Promise<void>;
  supervisor: Supervisor;
}

/**
 * @example
 * const stack = await startStack({ dataDir: ".local", watch: true, report: console.log });
 * process.on("SIGINT", () => stack.stop().then(() => process.exit(0)));
 */
export async function startStack(options: StartStackOptions): Promise<RunningStack> {
  const env = options.env ?? process.env;
  const dataDir = resolve(options.dataDir);
  const logsDir = join(dataDir, "logs");
  const stackFile = join(dataDir, "stack.json");
  const report = options.report ?? ((line: string) => console.log(line));
  mkdirSync(logsDir, { recursive: true });
  const lock: DataDirLock = await acquireDataDirLock(dataDir);
  // A stack that was killed -9 left its stack.json; its URLs are dead now.
  if (lock.tookOverFrom) unlinkQuietly(stackFile);

  let stopping: Promise<void> | undefined;
  let info: StackInfo | undefined;
  const writeStack = () => {
    if (stopping) return;
    lock.recordChildren(Object.entries(supervisor.pids()).map(([name, pid]) => ({ name, pid })));
    if (!info) return;
    info.pids = supervisor.pids();
    writeFileSync(`${stackFile}.tmp`, JSON.stringify(info, null, 2), { mode: 0o600 });
    renameSync(`${stackFile}.tmp`, stackFile);
  };
  const supervisor = new Supervisor({
    root: stackRoot,
    logsDir,
    env,
    verbose: options.verbose,
    onFatal: (message) => (options.onFatal ?? report)(message),
    onChange: () => writeStack(),
  });
  const shutdown = async () => {
    watcher?.close();
    await supervisor.shutdown([
      { names: ["api"], graceMs: 10_000 },
      { names: ["local-aws", "ebay-fixture"], graceMs: 45_000 },
      { names: ["pglite"], graceMs: 15_000 },
    ]);
    unlinkQuietly(stackFile);
    lock.release();
  };
  const stop = () => {
    stopping ??= shutdown();
    return stopping;
  };
  let watcher: { close(): void } | undefined;
  process.once("exit", () => {
    supervisor.killAll();
    lock.release();
  });

  try {
    // PIPELINE_MANIFEST points the whole stack at another manifest (the IAM tests drop a permission that way).
    const manifestPath = resolve(env.PIPELINE_MANIFEST?.trim() || join(stackRoot, "pipeline.json"));
    const manifest = loadManifest(manifestPath);
    const names = resourceNames(manifest, { environment: "local" });
    const apiKey = env.DEV_API_KEY?.trim() || secretFile(join(dataDir, "api-key"), () => `bmx_${randomBytes(24).toString("base64url")}`);
    const logLevel = env.LOG_LEVEL || "info";
    const ports = { api: 3000, emulator: 4566, fixture: 4568, ...options.ports };

    const fixtureReady = supervisor.start({
      name: "ebay-fixture",
      script: "services/ebay-fixture/src/server.ts",
      env: {
        EBAY_FIXTURE_PORT: String(ports.fixture),
        ...(env.EBAY_FIXTURE_DIR ? { EBAY_FIXTURE_DIR: resolve(env.EBAY_FIXTURE_DIR) } : {}),
      },
      ready: /ebay-fixture listening (\S+)/,
    });

    // PGlite, the local AWS and the fixture start side by side (PGlite's WASM start is the slowest
    // part); PGlite gets a port picked here so everyone knows DATABASE_URL up front. The worker's
    // trigger waits for the migrated database itself before it polls.
    const external = env.DATABASE_URL?.trim();
    const pglitePort = external ? 0 : await freePort();
    const databaseUrl = external || `postgres://postgres:postgres@127.0.0.1:${pglitePort}/postgres?sslmode=disable`;
    const databaseReady = external
      ? Promise.resolve(null)
      : supervisor.start({
          name: "pglite",
          script: "scripts/lib/pglite-cli.ts",
          env: { PGLITE_DIR: join(dataDir, "pglite"), PGLITE_PORT: String(pglitePort) },
          ready: /pglite ready (\S+)/,
        });

    const inspectPort = options.inspect ? await freePort() : 0;
    const awsDir = join(dataDir, "aws");
    // The worker handler's logger says `service: image-worker`.
    const workerLogs = { "image-worker": "worker" };
    const localAwsEnv = (port: number) => ({
      EMULATOR_PORT: String(port),
      LOCAL_AWS_DIR: awsDir,
      API_KEY: apiKey,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: logLevel,
      PIPELINE_MANIFEST: manifestPath,
      ...(options.inspect === "worker" ? { WORKER_INSPECT_PORT: String(inspectPort) } : {}),
    });
    const [localAws] = await Promise.all([
      supervisor.start({
        name: "local-aws",
        script: "scripts/lib/local-aws.ts",
        env: localAwsEnv(ports.emulator),
        // The worker's handler processes are the local AWS's children: their lines get a file of their own.
        serviceLogs: workerLogs,
        ready: /local-aws ready (\{.*\})/,
        // The debugged handler child may load the model before local-aws is ready.
        ...(options.inspect === "worker" ? { timeoutMs: 180_000 } : {}),
      }),
      databaseReady.then(() =>
        supervisor.start({ name: "migrate", script: "scripts/lib/migrate-cli.ts", env: { DATABASE_URL: databaseUrl }, ready: null }),
      ),
    ]);
    const localAwsReady = JSON.parse(localAws?.[1] ?? "{}") as { url: string; inspect?: string };
    const emulatorUrl = localAwsReady.url;
    const fixtureUrl = (await fixtureReady)?.[1] ?? "";

    const credentials = JSON.parse(readFileSync(join(awsDir, "credentials.json"), "utf8")) as Record<
      string,
      { accessKeyId: string; secretAccessKey: string }
    >;
    const apiEnv = (port: number) => ({
      PORT: String(port),
      RETRY_SWEEP_INTERVAL_SECONDS: env.RETRY_SWEEP_INTERVAL_SECONDS || "15",
      ...apiFunctionEnv({ manifestPath, names, emulatorUrl, fixtureUrl, databaseUrl, logLevel, credentials }),
    });
    let apiPort = ports.api;
    const apiReady = await supervisor.start({
      name: "api",
      script: "services/api/src/server.ts",
      env: apiEnv(apiPort),
      ready: /api listening (\S+)/,
      ...(options.inspect === "api" ? { execArgv: [`--inspect=127.0.0.1:${inspectPort}`] } : {}),
      // A restarted API keeps its port, so the URLs handed out stay valid.
      restartEnv: () => apiEnv(apiPort),
    });
    const apiUrl = apiReady?.[1] ?? "";
    apiPort = Number(new URL(apiUrl).port);
    const emulatorPort = Number(new URL(emulatorUrl).port);

    const health = await fetch(`${apiUrl}/health`).catch((error: Error) => ({ ok: false, status: error.message }));
    if (!health.ok) throw new Error(`the API does not answer /health (${health.status})`);

    info = {
      api: apiUrl,
      emulator: emulatorUrl,
      // Bearer token of the emulator's /_emulator/* admin API (faults, IAM call log); written by startEmulator.
      emulatorAdminToken: readFileSync(join(awsDir, "state", "admin-token"), "utf8"),
      ebayFixture: fixtureUrl,
      apiKey,
      dashboard: `${apiUrl}/`,
      docs: `${apiUrl}/docs`,
      dataDir,
      database: external ? "external (DATABASE_URL)" : "embedded PGlite",
      databaseUrl,
      pids: {},
      startedAt: new Date().toISOString(),
      ...(options.inspect === "worker" && localAwsReady.inspect ? { inspect: { worker: localAwsReady.inspect } } : {}),
      ...(options.inspect === "api" ? { inspect: { api: await inspectorUrl(inspectPort, 30_000) } } : {}),
    };
    writeStack();

    // ── Hot reload: one reload at a time, each reported in one line. ──
    let queue = Promise.resolve();
    const reload = (changes: Map<ReloadKind, string[]>) => {
      queue = queue.then(async () => {
        if (stopping) return;
        const started = performance.now();
        const files = [...new Set([...changes.values()].flat())];
        const what = files.length > 2 ? `${files.slice(0, 2).join(", ")} (+${files.length - 2})` : files.join(", ");
        const done: string[] = [];
        try {
          if (changes.has("manifest")) {
            // Bad JSON or a schema error is reported and changes nothing; the running stack stays as it was.
            loadManifest(manifestPath);
            await supervisor.restart("local-aws", 45_000, localAwsEnv(emulatorPort));
            done.push("local AWS re-provisioned");
          } else if (changes.has("worker")) {
            if (!supervisor.signal("local-aws", "SIGUSR2")) throw new Error("the local AWS is not running");
            done.push("worker children replaced at their next batch");
          }
          if (changes.has("api")) {
            await supervisor.restart("api", 10_000, apiEnv(apiPort));
            done.push("api restarted");
          }
          report(`reload: ${what} changed → ${done.join(", ")} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
        } catch (error) {
          report(
            `reload: ${what} changed → ${done.length ? `${done.join(", ")}, then ` : ""}failed after ${((performance.now() - started) / 1000).toFixed(1)}s: ${(error as Error).message.split("\n")[0]} (fix and save again; logs in ${logsDir})`,
          );
        }
      });
    };
    if (options.watch) watcher = watchSources({ root: stackRoot, onChange: reload });

    return { info, stackFile, logsDir, stop, supervisor, reloads: () => queue };
  } catch (error) {
    await stop();
    throw error;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}
