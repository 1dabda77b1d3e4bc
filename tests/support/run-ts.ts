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

/** `script` is absolute or relative to the repository root; `env` is added to this process's. */
export function runTs(script: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<RunTsResult> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", resolve(repoRoot, script), ...args], {
      cwd: repoRoot,
      env: { ...process.env, NODE_NO_WARNINGS: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}
