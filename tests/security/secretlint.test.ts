/**
 * The secret scanner over the repository: secretlint (recommended preset, `.secretlintrc.json`)
 * on every tracked file. A planted credential must be found, so a broken config cannot pass
 * silently; the planted value is assembled at run time so the repository never holds it.
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "@bluemoxon/core";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const secretlint = join(repoRoot, "node_modules", "secretlint", "bin", "secretlint.js");

function trackedFiles(): string[] | string {
  if (!existsSync(join(repoRoot, ".git"))) return "not a git checkout";
  const out = spawnSync("git", ["ls-files", "-z"], { cwd: repoRoot, encoding: "utf8" });
  if (out.status !== 0) return `git ls-files failed: ${out.stderr}`;
  return out.stdout.split("\0").filter((f) => f && existsSync(join(repoRoot, f)));
}

describe("secretlint", () => {
  it("finds no secret in any tracked file", async (ctx) => {
    const files = trackedFiles();
    if (typeof files === "string") return ctx.skip(files);
    expect(files.length).toBeGreaterThan(50);
    const result = await run(process.execPath, [secretlint, "--format", "compact", "--no-color", ...files], {
      cwd: repoRoot,
      maxBuffer: 16 * 1024 * 1024,
    }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: `${e.stdout}${e.stderr}` }),
    );
    expect(result.out.trim()).toBe("");
    expect(result.code).toBe(0);
  });

  it("reports a credential planted in a file (the config really scans)", () => {
    const planted = ["postgres://admin:", "Kq7", "vX2pLm9", "Rt4sWz", "@db.internal:5432/prod"].join("");
    const out = spawnSync(process.execPath, [secretlint, "--stdinFileName", "planted.ts", "--format", "compact", "--no-color"], {
      cwd: repoRoot,
      input: `export const url = "${planted}";\n`,
      encoding: "utf8",
    });
    expect(out.status).toBe(1);
    expect(out.stdout).toMatch(/PostgreSQLConnection/);
    // secretlint masks what it found: the report itself leaks nothing.
    expect(out.stdout).not.toContain(planted);
  });
});
