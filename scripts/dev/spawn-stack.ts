/**
 * `npm start` as a separate process (for tests and benchmarks that need to stop, crash or
 * restart it): spawns `scripts/dev.mjs` as `npm start` runs it, with free ports and a temp
 * DATA_DIR by default, waits for its `ready` line (the supervisor's `readyLine`, the same wait the
 * stack uses for its own children) and reads `stack.json` back. The one difference: the spawned
 * supervisor watches a pipe from this process, as its own children watch one from it
 * (`die-with-parent.ts`), so a test runner that dies without stopping it (a killed vitest worker, a
 * CI timeout) does not leave a whole stack running.
 *
 * @example
 * const stack = await spawnStack();
 * afterAll(() => stack.stop());
 * await fetch(`${stack.api}/api/v1/books`, { headers: { "X-API-Key": stack.apiKey } });
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type StackInfo, stackRoot } from "./start-stack.ts";
import { readyLine } from "./supervisor.ts";

export type { StackInfo };

export interface SpawnedStack extends StackInfo {
  /** Everything the stack printed so far. */
  output(): string;
  /** SIGTERM and wait for a clean exit (returns the exit code). */
  stop(): Promise<number | null>;
  /** SIGKILL the supervisor and every child's process group (a crash that leaves nothing). */
  kill(): Promise<void>;
  /** Resolves with the first line printed from now on that matches `pattern`. */
  nextLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  process: ChildProcess;
}

export interface SpawnStackOptions {
  dataDir?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Arguments for npm start (e.g. `["--no-watch"]`). */
  args?: string[];
  /** The checkout to run (default: this one; a temp copy in the hot-reload tests). */
  root?: string;
}

export async function spawnStack({
  dataDir,
  env = {},
  timeoutMs = 90_000,
  args = [],
  root = stackRoot,
}: SpawnStackOptions = {}): Promise<SpawnedStack> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "bmx-stack-"));
  const dieWithParent = pathToFileURL(resolve(root, "scripts/lib/die-with-parent.ts")).href;
  const zx = resolve(root, "node_modules/zx/build/cli.js");
  const child = spawn(process.execPath, ["--import", "tsx", "--import", dieWithParent, zx, resolve(root, "scripts/dev.mjs"), ...args], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dir, PORT: "0", EMULATOR_PORT: "0", EBAY_FIXTURE_PORT: "0", FORCE_COLOR: "0", ...env },
    // stdin: the pipe the supervisor watches; nothing is ever written to it.
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  const listeners = new Set<(line: string) => void>();
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  try {
    await readyLine(child, /^ready /, {
      timeoutMs,
      describe: "npm start",
      onLine: (line) => {
        out += `${line}\n`;
        for (const l of listeners) l(line);
      },
    });
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const stackFile = join(dir, "stack.json");
  if (!existsSync(stackFile)) throw new Error(`ready was printed but ${stackFile} is missing`);
  const info = JSON.parse(readFileSync(stackFile, "utf8")) as StackInfo;
  return {
    ...info,
    process: child,
    output: () => out,
    nextLine(pattern, ms = 120_000) {
      return new Promise((resolveLine, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`npm start printed no line matching ${pattern} within ${ms / 1000}s:\n${out.slice(-3000)}`));
        }, ms);
        const listener = (line: string) => {
          if (!pattern.test(line)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolveLine(line);
        };
        listeners.add(listener);
      });
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      return exited;
    },
    async kill() {
      for (const pid of Object.values(info.pids)) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {}
      }
      child.kill("SIGKILL");
      await exited;
    },
  };
}
