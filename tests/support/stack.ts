/**
 * The whole local stack for a test, started exactly as a developer starts it: `scripts/dev.mjs`
 * (what `npm start` runs) with free ports and a temp DATA_DIR, read back from `stack.json`.
 *
 * @example
 * const stack = await startStack();
 * afterAll(() => stack.stop());
 * await fetch(`${stack.api}/api/v1/books`, { headers: { "X-API-Key": stack.apiKey } });
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { repoRoot } from "../../packages/core/src/index.ts";

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
  pids: Record<string, number>;
}

export interface Stack extends StackInfo {
  /** Everything the stack printed. */
  output(): string;
  /** SIGTERM and wait for a clean exit (returns the exit code). */
  stop(): Promise<number | null>;
  /** SIGKILL the whole process group (a crash). */
  kill(): Promise<void>;
  process: ChildProcess;
}

export interface StartStackOptions {
  dataDir?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export async function startStack({ dataDir, env = {}, timeoutMs = 90_000 }: StartStackOptions = {}): Promise<Stack> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "bmx-stack-"));
  const child = spawn(process.execPath, [resolve(repoRoot, "node_modules/zx/build/cli.js"), resolve(repoRoot, "scripts/dev.mjs")], {
    cwd: repoRoot,
    env: { ...process.env, DATA_DIR: dir, PORT: "0", EMULATOR_PORT: "0", EBAY_FIXTURE_PORT: "0", FORCE_COLOR: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const deadline = Date.now() + timeoutMs;
  while (!/^ready /m.test(out)) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`npm start did not print ready within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stackFile = join(dir, "stack.json");
  if (!existsSync(stackFile)) throw new Error(`ready was printed but ${stackFile} is missing`);
  const info = JSON.parse(readFileSync(stackFile, "utf8")) as StackInfo;
  return {
    ...info,
    process: child,
    output: () => out,
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
