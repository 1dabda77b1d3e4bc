/**
 * `npm start` dying without its shutdown (SIGKILL, a closed terminal): every process it started —
 * PGlite, the local AWS, the API, the eBay fixture and the worker's warm handler children — exits
 * by itself (each watches a pipe from its parent), and the data folder's lock lets a new run in.
 * While a run is alive, a second one on its folder is refused, naming the pid. And a process that
 * spawned npm start (spawnStack: a test runner) takes the stack with it when it is SIGKILLed.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "@bluemoxon/core";
import { afterAll, describe, expect, it } from "vitest";
import { spawnStack } from "../../scripts/dev/spawn-stack.ts";
import type { Stack } from "../support/stack.ts";
import { until } from "../support/until.ts";
import { importAndProcess, sampleListings } from "./support/stack-jobs.ts";

/** Every process below `pid` (portable `ps`: the same on Linux and macOS). */
function descendants(pid: number): { pid: number; command: string }[] {
  const rows = execFileSync("ps", ["-A", "-o", "pid=,ppid=,command="], { encoding: "utf8" })
    .split("\n")
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), command: m[3] }));
  const found: { pid: number; command: string }[] = [];
  const walk = (parent: number) => {
    for (const r of rows.filter((row) => row.ppid === parent)) {
      found.push({ pid: r.pid, command: r.command });
      walk(r.pid);
    }
  };
  walk(pid);
  return found;
}

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("npm start killed with SIGKILL", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "bmx-parent-death-"));
  const stacks: Stack[] = [];
  afterAll(async () => {
    for (const s of stacks) await s.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses a second run on the folder while the first lives, naming its pid", async () => {
    const first = await spawnStack({ dataDir, args: ["--no-watch"] });
    stacks.push(first);
    const second = await spawnStack({ dataDir, args: ["--no-watch"], timeoutMs: 60_000 }).then(
      (s) => {
        stacks.push(s);
        return "started";
      },
      (error: Error) => error.message,
    );
    expect(second).toContain(`another stack is already running on ${dataDir} (pid ${first.process.pid}`);
    expect((await fetch(`${first.api}/health`)).status).toBe(200);
  });

  it("leaves no process behind, warm handler children included, and a new run starts cleanly", async () => {
    const first = stacks[0];
    // One job, so the trigger has a warm handler child (they start on the first batch).
    const job = await importAndProcess(first, sampleListings(repoRoot)[0]);
    expect(job.status).toBe("completed");
    const tree = descendants(first.process.pid as number);
    const names = ["ebay-fixture/src/server.ts", "pglite-cli.ts", "local-aws.ts", "api/src/server.ts", "handler-child.ts"];
    for (const name of names) expect(tree.map((p) => p.command).join("\n")).toContain(name);

    process.kill(first.process.pid as number, "SIGKILL");
    const left = await until(
      "every child of the killed npm start to exit",
      () => {
        const alive = tree.filter((p) => running(p.pid));
        return alive.length === 0 ? [] : undefined;
      },
      30_000,
      { everyMs: 200 },
    ).catch(() => tree.filter((p) => running(p.pid)));
    expect(left).toEqual([]);

    const next = await spawnStack({ dataDir, args: ["--no-watch"] });
    stacks.push(next);
    expect(next.process.pid).not.toBe(first.process.pid);
    expect((await fetch(`${next.api}/health`)).status).toBe(200);
    // The data survived: the book imported by the killed run is still there.
    const books = await fetch(`${next.api}/api/v1/books`, { headers: { "X-API-Key": next.apiKey } });
    expect(JSON.stringify(await books.json())).toContain(job.bookId);
    expect(await next.stop()).toBe(0);
  });
});

describe("a process that spawned npm start (spawnStack) killed with SIGKILL", () => {
  it("takes the whole stack with it: the supervisor and every child exit", async () => {
    // Before the fix the supervisor was left running under init with all its children (found
    // after a killed test run: a chaos stack's local AWS and warm handlers still alive an hour on).
    const spawner = spawn(process.execPath, ["--import", "tsx", resolve(repoRoot, "tests/dev/fixtures/stack-spawner.ts")], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines = createInterface({ input: spawner.stdout });
    const first = await new Promise<string>((ok, fail) => {
      lines.once("line", ok);
      spawner.once("exit", (code) => fail(new Error(`the spawner exited (${code}) before its stack was ready`)));
    });
    const { supervisor, dataDir } = JSON.parse(first) as { supervisor: number; dataDir: string };
    const tree = [{ pid: supervisor, command: "scripts/dev.mjs" }, ...descendants(supervisor)];
    for (const name of ["pglite-cli.ts", "local-aws.ts", "api/src/server.ts"])
      expect(tree.map((p) => p.command).join("\n")).toContain(name);

    spawner.kill("SIGKILL");
    const left = await until(
      "the stack of the killed spawner to exit",
      () => {
        const alive = tree.filter((p) => running(p.pid));
        return alive.length === 0 ? [] : undefined;
      },
      60_000,
      { everyMs: 200 },
    ).catch(() => tree.filter((p) => running(p.pid)));
    for (const p of left) process.kill(p.pid, "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    expect(left).toEqual([]);
  });
});
