/**
 * A warm handler child never outlives the process that runs its trigger, even when that process
 * is SIGKILLed and cannot stop it: the child watches its IPC channel and exits when it closes.
 * (Before: a killed local AWS left its handler children running, at ~13 % CPU each.)
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { readyLine } from "../../scripts/dev/supervisor.ts";
import { until } from "../support/until.ts";

const host = fileURLToPath(new URL("./fixtures/warm-child-host.ts", import.meta.url));
let childPid: number | undefined;
afterAll(() => {
  try {
    if (childPid) process.kill(childPid, "SIGKILL");
  } catch {}
});

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it("exits when its trigger's process is killed with SIGKILL", async () => {
  const proc = spawn(process.execPath, ["--import", "tsx", host], { stdio: ["ignore", "pipe", "pipe"] });
  const [, pid] = await readyLine(proc, /^warm child (\d+)$/, { timeoutMs: 60_000, describe: "warm-child host" });
  childPid = Number(pid);
  expect(running(childPid)).toBe(true);
  const gone = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGKILL");
  await gone;
  expect(await until("the orphaned handler child to exit", () => !running(childPid as number), 30_000, { everyMs: 100 })).toBe(true);
});
