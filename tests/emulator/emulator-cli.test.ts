/** The emulator's command line, as a developer runs it (`npm run emulator`, i.e. bin/emulator.mjs). */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { repoRoot } from "@bluemoxon/core";
import { describe, expect, it } from "vitest";

const bin = resolve(repoRoot, "services/emulator/bin/emulator.mjs");

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("exit", (code) => done({ code, stdout, stderr }));
  });
}

describe("emulator command line", () => {
  it("--help prints the usage and exits 0", async () => {
    const { code, stdout, stderr } = await run(["--help"]);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: npm run emulator/);
    for (const flag of ["--port", "--data-dir", "--manifest", "--iam"]) expect(stdout).toContain(flag);
  });

  it("an unknown flag prints what is wrong and the usage, and exits 2", async () => {
    const { code, stdout, stderr } = await run(["--prot", "4566"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("--prot");
    expect(stderr).toContain("Usage: npm run emulator");
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
