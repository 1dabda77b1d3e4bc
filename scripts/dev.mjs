#!/usr/bin/env zx
/**
 * `npm start`: the whole pipeline on this machine, no Docker, no cloud account.
 *
 *   embedded Postgres (PGlite; or DATABASE_URL) ─► migrations
 *   embedded AWS (SQS, S3, Secrets Manager, IAM from pipeline.json) + the worker under its SQS trigger
 *   eBay fixture (Browse API + photos) ─► API (+ dashboard, docs, retry sweep)
 *
 * Each part runs as its own process (like in AWS), started in dependency order; their logs go to
 * $DATA_DIR/logs/. When all answer, $DATA_DIR/stack.json is written and one line starting with
 * `ready` is printed. Ctrl-C / SIGTERM stops them in reverse order: the API first (no new work),
 * then the worker finishes its batch, then queues, objects and the database are flushed.
 *
 * Env: DATA_DIR (.local), PORT (3000), EMULATOR_PORT (4566), EBAY_FIXTURE_PORT (4568) — 0 picks a
 * free port —, DATABASE_URL (use this server instead of PGlite), DEV_API_KEY, EBAY_FIXTURE_DIR,
 * RETRY_SWEEP_INTERVAL_SECONDS (15), LOG_LEVEL, DEV_VERBOSE=1 (stream the processes' logs).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chalk } from "zx";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const env = process.env;
const started = performance.now();
const dataDir = resolve(env.DATA_DIR?.trim() || join(root, ".local"));
const logsDir = join(dataDir, "logs");
const verbose = env.DEV_VERBOSE === "1" || process.argv.includes("--verbose");
mkdirSync(logsDir, { recursive: true });

function fail(message) {
  console.error(chalk.red(`npm start: ${message}`));
  process.exit(1);
}

function portFromEnv(name, fallback) {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`${name} must be a port number (0 = any free port), got "${raw}"`);
  return n;
}
const ports = {
  api: portFromEnv("PORT", 3000),
  emulator: portFromEnv("EMULATOR_PORT", 4566),
  fixture: portFromEnv("EBAY_FIXTURE_PORT", 4568),
};

// ── One stack per data folder ────────────────────────────────────────────────────────────────
const lockPath = join(dataDir, "stack.lock");
const stackPath = join(dataDir, "stack.json");

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

function acquireLock() {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      const pid = Number(readFileSync(lockPath, "utf8").trim());
      if (pid && alive(pid)) {
        fail(
          `another stack is already running on ${dataDir} (pid ${pid}; its URLs are in ${stackPath}).\n` +
            "Stop it first, or set DATA_DIR to another folder to run a second one.",
        );
      }
      // A stack that was killed -9: stop what it left behind, then take over.
      reapLeftovers();
      unlinkSync(lockPath);
    }
  }
  fail(`could not take the lock ${lockPath}`);
}

function reapLeftovers() {
  if (!existsSync(stackPath)) return;
  try {
    const { pids = {} } = JSON.parse(readFileSync(stackPath, "utf8"));
    for (const pid of Object.values(pids)) {
      const cmdline = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, "utf8") : "";
      if (cmdline.includes(root)) process.kill(pid, "SIGKILL");
    }
  } catch {
    // Unreadable leftovers: nothing to reap.
  }
  unlinkSync(stackPath);
}

acquireLock();

// ── Children ─────────────────────────────────────────────────────────────────────────────────
const children = [];
const crashes = {};
let stopping = false;
let stack;

function writeStack() {
  if (!stack || stopping) return;
  stack.pids = Object.fromEntries(children.filter((c) => c.child.exitCode === null).map((c) => [c.name, c.child.pid]));
  writeFileSync(`${stackPath}.tmp`, JSON.stringify(stack, null, 2), { mode: 0o600 });
  renameSync(`${stackPath}.tmp`, stackPath);
}

/**
 * Starts one part as a child process and resolves with the match of its ready line.
 * `restart` (for the API): a crash after it was ready restarts it, with the env that function
 * returns, up to 5 times a minute — in AWS a crashed Lambda is replaced too — instead of
 * stopping the stack.
 */
function start(name, script, childEnv, readyPattern, { timeoutMs = 60_000, restart } = {}) {
  const logFile = join(logsDir, `${name}.log`);
  appendFileSync(logFile, `\n--- ${new Date().toISOString()} start ---\n`);
  const child = spawn(process.execPath, ["--import", "tsx", join(root, script)], {
    cwd: root,
    env: { ...env, ...childEnv },
    stdio: ["ignore", "pipe", "pipe"],
    // Own process group: a terminal Ctrl-C reaches only this script, which stops the children in order.
    detached: true,
  });
  const entry = { name, child, logFile, tail: [], ready: false };
  children.push(entry);
  crashes[name] ??= [];
  return new Promise((resolveReady, rejectReady) => {
    const timer = setTimeout(() => rejectReady(new Error(`${name} did not start within ${timeoutMs / 1000}s; see ${logFile}`)), timeoutMs);
    const onLine = (line) => {
      appendFileSync(logFile, `${line}\n`);
      entry.tail = [...entry.tail.slice(-19), line];
      if (verbose) console.log(chalk.gray(`[${name}] ${line}`));
      const match = !entry.ready && readyPattern?.exec(line);
      if (match) {
        entry.ready = true;
        clearTimeout(timer);
        resolveReady(match);
      }
    };
    createInterface({ input: child.stdout }).on("line", onLine);
    createInterface({ input: child.stderr }).on("line", onLine);
    child.on("exit", (code, signal) => {
      entry.exited = true;
      clearTimeout(timer);
      const why = signal ? `was killed (${signal})` : `exited with code ${code}`;
      if (!readyPattern || !entry.ready) {
        if (!readyPattern && code === 0) return resolveReady(null);
        return rejectReady(new Error(`${name} ${why}:\n  ${entry.tail.join("\n  ")}\n(full log: ${logFile})`));
      }
      if (stopping) return;
      crashes[name] = [...crashes[name].filter((t) => Date.now() - t < 60_000), Date.now()];
      const recent = crashes[name];
      if (restart && recent.length <= 5) {
        console.error(
          chalk.yellow(
            `${name} ${why} — restarting it (${recent.length}/5 this minute). Last lines:\n  ${entry.tail.slice(-5).join("\n  ")}`,
          ),
        );
        children.splice(children.indexOf(entry), 1);
        start(name, script, restart(), readyPattern, { timeoutMs, restart }).then(
          () => writeStack(),
          (error) => {
            console.error(chalk.red(`${name} could not be restarted: ${error.message}`));
            void shutdown(1);
          },
        );
        return;
      }
      console.error(chalk.red(`${name} ${why} — stopping the stack. Last lines:\n  ${entry.tail.join("\n  ")}\n(full log: ${logFile})`));
      void shutdown(1);
    });
  });
}

async function stopChild(entry, graceMs) {
  if (entry.exited || entry.child.exitCode !== null) return;
  const exited = new Promise((r) => entry.child.once("exit", r));
  entry.child.kill("SIGTERM");
  const timer = setTimeout(() => entry.child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log(chalk.dim("stopping…"));
  const by = (n) => children.filter((c) => c.name === n);
  // Reverse dependency order: nothing new comes in, running work finishes, then state is flushed.
  for (const c of by("api")) await stopChild(c, 10_000);
  await Promise.all([...by("local-aws").map((c) => stopChild(c, 45_000)), ...by("ebay-fixture").map((c) => stopChild(c, 5_000))]);
  for (const c of by("pglite")) await stopChild(c, 15_000);
  for (const c of children) await stopChild(c, 1_000);
  try {
    unlinkSync(stackPath);
  } catch {}
  try {
    unlinkSync(lockPath);
  } catch {}
  console.log(chalk.dim("stopped"));
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
process.on("exit", () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill("SIGKILL");
});

function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
    srv.on("error", reject);
  });
}

// ── Bring-up ─────────────────────────────────────────────────────────────────────────────────
function keptSecret(file, make) {
  const path = join(dataDir, file);
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const value = make();
  writeFileSync(path, value, { mode: 0o600 });
  return value;
}

try {
  const apiKey = env.DEV_API_KEY?.trim() || keptSecret("api-key", () => `bmx_${randomBytes(24).toString("base64url")}`);
  const logLevel = env.LOG_LEVEL || "info";

  const fixtureReady = start(
    "ebay-fixture",
    "services/ebay-fixture/src/server.ts",
    { EBAY_FIXTURE_PORT: String(ports.fixture), ...(env.EBAY_FIXTURE_DIR ? { EBAY_FIXTURE_DIR: resolve(env.EBAY_FIXTURE_DIR) } : {}) },
    /ebay-fixture listening (\S+)/,
  );

  // PGlite, the local AWS and the fixture start side by side (PGlite's WASM start is the slowest
  // part); PGlite gets a port picked here so everyone knows DATABASE_URL up front. The worker's
  // trigger waits for the migrated database itself before it polls.
  const external = env.DATABASE_URL?.trim();
  const pglitePort = external ? 0 : await freePort();
  const databaseUrl = external || `postgres://postgres:postgres@127.0.0.1:${pglitePort}/postgres?sslmode=disable`;
  const databaseReady = external
    ? Promise.resolve()
    : start(
        "pglite",
        "scripts/lib/pglite-cli.ts",
        { PGLITE_DIR: join(dataDir, "pglite"), PGLITE_PORT: String(pglitePort) },
        /pglite ready (\S+)/,
      );

  const awsDir = join(dataDir, "aws");
  const [localAws] = await Promise.all([
    start(
      "local-aws",
      "scripts/lib/local-aws.ts",
      { EMULATOR_PORT: String(ports.emulator), LOCAL_AWS_DIR: awsDir, API_KEY: apiKey, DATABASE_URL: databaseUrl, LOG_LEVEL: logLevel },
      /local-aws ready (\{.*\})/,
    ),
    databaseReady.then(() => start("migrate", "scripts/lib/migrate-cli.ts", { DATABASE_URL: databaseUrl }, null)),
  ]);
  const emulatorUrl = JSON.parse(localAws[1]).url;
  const [, fixtureUrl] = await fixtureReady;

  const credentials = JSON.parse(readFileSync(join(awsDir, "credentials.json"), "utf8"));
  const fixtureHost = new URL(fixtureUrl).host;
  const apiEnv = {
    PORT: String(ports.api),
    PIPELINE_ENV: "local",
    IMAGE_BUCKET: "bluemoxon-local-images",
    API_KEY_SECRET_ID: "bluemoxon-local/api-key",
    EBAY_CREDENTIALS_SECRET_ID: "bluemoxon-local/ebay-credentials",
    EBAY_API_BASE_URL: fixtureUrl,
    EBAY_IMAGE_HOSTS: fixtureHost,
    PRIVATE_IMAGE_HOSTS_ALLOWED: fixtureHost,
    RETRY_SWEEP_INTERVAL_SECONDS: env.RETRY_SWEEP_INTERVAL_SECONDS || "15",
    DATABASE_URL: databaseUrl,
    AWS_ENDPOINT_URL: emulatorUrl,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: credentials.api.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.api.secretAccessKey,
    LOG_LEVEL: logLevel,
  };
  const [, apiUrl] = await start("api", "services/api/src/server.ts", apiEnv, /api listening (\S+)/, {
    // A restarted API keeps its port, so the URLs handed out stay valid.
    restart: () => ({ ...apiEnv, PORT: new URL(apiUrl).port }),
  });

  const health = await fetch(`${apiUrl}/health`).catch((error) => ({ ok: false, status: error.message }));
  if (!health.ok) throw new Error(`the API does not answer /health (${health.status})`);

  stack = {
    api: apiUrl,
    emulator: emulatorUrl,
    // Bearer token of the emulator's /_emulator/* admin API (faults, IAM call log); written by startEmulator.
    emulatorAdminToken: readFileSync(join(awsDir, "state", "admin-token"), "utf8"),
    ebayFixture: fixtureUrl,
    apiKey,
    dashboard: `${apiUrl}/`,
    docs: `${apiUrl}/docs`,
    dataDir,
    database: env.DATABASE_URL?.trim() ? "external (DATABASE_URL)" : "embedded PGlite",
    pids: {},
    startedAt: new Date().toISOString(),
  };
  writeStack();

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `ready in ${seconds}s  dashboard=${stack.dashboard}  api=${apiUrl}  docs=${stack.docs}  emulator=${emulatorUrl}  ebay-fixture=${fixtureUrl}  apiKey=${apiKey}`,
  );
  console.log(chalk.dim(`  logs: ${logsDir}   stack: ${stackPath}   Ctrl-C stops everything`));
  const fixtureDir = env.EBAY_FIXTURE_DIR ? resolve(env.EBAY_FIXTURE_DIR) : join(root, "services/ebay-fixture/fixtures");
  const sample = readdirSync(fixtureDir).find((d) => existsSync(join(fixtureDir, d, "listing.json")));
  if (sample)
    console.log(chalk.dim(`  try: import https://www.ebay.com/itm/${sample} from the dashboard (served by the local eBay fixture)`));
} catch (error) {
  console.error(chalk.red(`npm start failed: ${error.message}`));
  await shutdown(1);
}
