/**
 * The scripts' command lines are strict (node:util parseArgs): an unknown flag prints what was
 * wrong and the usage on stderr and exits 2 before anything starts — a typo never runs a stack
 * or a flow with defaults it did not ask for.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { repoRoot } from "@bluemoxon/core";
import { afterAll, describe, expect, it } from "vitest";

const zx = resolve(repoRoot, "node_modules/zx/build/cli.js");
const dataDir = mkdtempSync(join(tmpdir(), "bmx-cli-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function run(script: string, args: string[]) {
  const r = spawnSync(process.execPath, [zx, resolve(repoRoot, script), ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATA_DIR: dataDir, FORCE_COLOR: "0" },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.each([
  { script: "scripts/dev.mjs", typo: "--nowatch", usage: "usage: npm start" },
  { script: "scripts/e2e.mjs", typo: "--dryrun", usage: "usage: zx scripts/e2e.mjs" },
])("$script", ({ script, typo, usage }) => {
  it(`exits 2 with the usage on stderr for an unknown flag (${typo}), having started nothing`, () => {
    const r = run(script, [typo]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Unknown option '${typo}'`);
    expect(r.stderr).toContain(usage);
    expect(r.stdout).toBe("");
    // Nothing was started: no lock, no logs in the data folder.
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it("prints the usage on --help and exits 0", () => {
    const r = run(script, ["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(usage);
  });
});

it("e2e refuses --api without a key (exit 2), naming the flag", () => {
  const r = spawnSync(process.execPath, [zx, resolve(repoRoot, "scripts/e2e.mjs"), "--api", "http://127.0.0.1:9"], {
    cwd: repoRoot,
    env: { ...process.env, API_KEY: "", FORCE_COLOR: "0" },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain("--api-key (or API_KEY) is required with --api");
});
