/**
 * Runs a TypeScript entry point in a child Node process (through tsx), the way a developer or an
 * image runs it, and collects what it printed and its exit code. Asynchronous on purpose: an AWS
 * backend or database proxy living in the test's own process must keep answering the child.
 *
 * @example
 * const { code, stderr } = await runTs("services/worker/src/cutout-cli.ts", ["in.jpg", "out.png"]);
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { repoRoot } from "@bluemoxon/core";

export interface RunTsResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `script` is absolute or relative to the repository root; `env` is laid over this process's (a
 * value of `undefined` removes the variable). The child is killed if it has not exited within
 * `timeoutMs`, and the promise rejects saying so.
 */
export function runTs(
  script: string,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
  timeoutMs = 120_000,
): Promise<RunTsResult> {
  const merged = Object.fromEntries(
    Object.entries({ ...process.env, NODE_NO_WARNINGS: "1", ...env }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", resolve(repoRoot, script), ...args], {
      cwd: repoRoot,
      env: merged,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} ${args.join(" ")} did not exit within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}
