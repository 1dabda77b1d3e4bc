/**
 * The data-folder lock of `npm start` on its own: a live owner is refused by pid, a dead one
 * (SIGKILLed: its lock file stays) is taken over, and so is a lock whose pid now belongs to a
 * different process (same pid, other start time).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireDataDirLock, DataDirLockedError, processStartTime } from "../../scripts/dev/data-dir-lock.ts";

const dirs: string[] = [];
const procs: ChildProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folder() {
  const dir = mkdtempSync(join(tmpdir(), "bmx-lock-"));
  dirs.push(dir);
  return dir;
}

/** A process that lives until killed, and its identity as the lock would record it. */
async function otherProcess() {
  const p = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  procs.push(p);
  await new Promise((r) => p.once("spawn", r));
  const pid = p.pid as number;
  return { proc: p, pid, startedAt: processStartTime(pid) ?? "" };
}

const writeLock = (dir: string, content: object) => writeFileSync(join(dir, "stack.lock"), JSON.stringify(content));

describe("data-folder lock", () => {
  it("is refused while its owner lives, naming the pid", async () => {
    const dir = folder();
    const owner = await otherProcess();
    writeLock(dir, { pid: owner.pid, startedAt: owner.startedAt, children: [] });
    const error = await acquireDataDirLock(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as Error).message).toContain(`pid ${owner.pid}`);
    expect(JSON.parse(readFileSync(join(dir, "stack.lock"), "utf8")).pid).toBe(owner.pid);
  });

  it("is taken over from an owner that was SIGKILLed, after the children it recorded are gone", async () => {
    const dir = folder();
    const owner = await otherProcess();
    const child = await otherProcess();
    writeLock(dir, {
      pid: owner.pid,
      startedAt: owner.startedAt,
      children: [{ name: "pglite", pid: child.pid, startedAt: child.startedAt }],
    });
    const ownerGone = new Promise((r) => owner.proc.once("exit", r));
    owner.proc.kill("SIGKILL");
    await ownerGone;
    // The leftover child outlives its grace period here, so the new owner has to end it.
    const childGone = new Promise((r) => child.proc.once("exit", r));
    const lock = await acquireDataDirLock(dir, { leftoverGraceMs: 500 });
    await childGone;
    expect(lock.tookOverFrom?.pid).toBe(owner.pid);
    expect(JSON.parse(readFileSync(join(dir, "stack.lock"), "utf8")).pid).toBe(process.pid);
    lock.release();
  });

  it("treats a reused pid (same pid, another start time) as a dead owner", async () => {
    const dir = folder();
    const someone = await otherProcess();
    writeLock(dir, { pid: someone.pid, startedAt: "Thu Jan  1 00:00:00 1970", children: [] });
    const lock = await acquireDataDirLock(dir);
    expect(lock.tookOverFrom?.pid).toBe(someone.pid);
    lock.release();
  });

  it("lets exactly one of two runs in on a free folder", async () => {
    const dir = folder();
    const results = await Promise.allSettled([
      acquireDataDirLock(dir, { pid: process.pid }),
      acquireDataDirLock(dir, { pid: process.pid }),
    ]);
    // The same pid twice: the second sees a live owner (this process) and is refused.
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
    for (const r of results) if (r.status === "fulfilled") r.value.release();
  });
});
