/**
 * One stack per data folder. `$DATA_DIR/stack.lock` holds the owner's pid and the start time
 * the OS reports for that pid (`ps -o lstart=`, the same on Linux and macOS). A lock is live
 * when a process with that pid exists AND started at that time: a pid alone is not enough,
 * because after a SIGKILL and a reboot or a busy hour the pid may belong to someone else.
 * Why a file and not an fs lock (flock): Node has no flock, and a file survives SIGKILL in a
 * readable form that also tells the next run which children the dead owner left (their pids
 * and start times), so it can wait for them to go before opening the same database folder.
 */
import { execFileSync } from "node:child_process";
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

export interface ProcessIdentity {
  pid: number;
  /** What `ps -o lstart=` printed for the pid when it was recorded. */
  startedAt: string;
}

export interface LockContent extends ProcessIdentity {
  children: (ProcessIdentity & { name: string })[];
}

export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `another stack is already running on ${dataDir} (pid ${pid}; its URLs are in ${join(dataDir, "stack.json")}).\n` +
        "Stop it first, or set DATA_DIR to another folder to run a second one.",
    );
  }
}

/** The start time of a running process; undefined when there is no such process or no `ps` to ask. */
export function processStartTime(pid: number): string | undefined {
  try {
    const out = execFileSync("ps", ["-o", "lstart=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when the process recorded as `who` is still the one running under that pid. Without a
 * usable start time (no `ps` on this machine) a live pid counts as alive: refusing a run by
 * mistake is recoverable, two stacks on one database folder are not.
 */
export function isAlive(who: ProcessIdentity): boolean {
  try {
    process.kill(who.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const now = processStartTime(who.pid);
  return now === undefined || !who.startedAt || now === who.startedAt;
}

function readLock(path: string): LockContent | undefined {
  try {
    const raw = readFileSync(path, "utf8").trim();
    // An older stack wrote only its pid: treat the start time as unknown (compare against nothing).
    if (/^\d+$/.test(raw)) return { pid: Number(raw), startedAt: processStartTime(Number(raw)) ?? "", children: [] };
    const parsed = JSON.parse(raw) as LockContent;
    return { ...parsed, children: parsed.children ?? [] };
  } catch {
    return undefined;
  }
}

export interface DataDirLock {
  path: string;
  /** The dead owner this run took over from, if any (its children are gone by then). */
  tookOverFrom?: LockContent;
  /** Records the supervised children, so a run after a SIGKILL can wait for them. */
  recordChildren(children: { name: string; pid: number }[]): void;
  release(): void;
}

export interface AcquireOptions {
  /** How long to wait for a dead owner's children to exit before killing them (default 30 s). */
  leftoverGraceMs?: number;
  pid?: number;
}

/**
 * Takes `$DATA_DIR/stack.lock`, or throws `DataDirLockedError` naming the live owner's pid.
 * A lock of a dead owner is taken over, after its children (which exit on their own when their
 * supervisor's pipe closes) are gone.
 *
 * @example
 * const lock = await acquireDataDirLock(dataDir);
 * process.on("exit", () => lock.release());
 */
export async function acquireDataDirLock(
  dataDir: string,
  { leftoverGraceMs = 30_000, pid = process.pid }: AcquireOptions = {},
): Promise<DataDirLock> {
  const path = join(dataDir, "stack.lock");
  const self: LockContent = { pid, startedAt: processStartTime(pid) ?? "", children: [] };
  let tookOverFrom: LockContent | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify(self));
      closeSync(fd);
      return lockHandle(path, self, tookOverFrom);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = readLock(path);
    if (owner && isAlive(owner)) throw new DataDirLockedError(dataDir, owner.pid);
    if (owner) {
      await waitForExit(owner.children, leftoverGraceMs);
      tookOverFrom = owner;
    }
    // Move the stale lock aside under a name only this process uses, so two runs taking over at
    // once cannot delete each other's fresh lock; whoever then creates the file first wins.
    try {
      renameSync(path, `${path}.stale-${pid}`);
      unlinkSync(`${path}.stale-${pid}`);
    } catch {
      // Someone else moved it first; try to create ours again.
    }
  }
  throw new Error(`could not take the lock ${path}`);
}

function lockHandle(path: string, self: LockContent, tookOverFrom: LockContent | undefined): DataDirLock {
  let released = false;
  return {
    path,
    tookOverFrom,
    recordChildren(children) {
      if (released) return;
      self.children = children.map((c) => ({ ...c, startedAt: processStartTime(c.pid) ?? "" }));
      writeFileSync(`${path}.tmp`, JSON.stringify(self), { mode: 0o600 });
      renameSync(`${path}.tmp`, path);
    },
    release() {
      if (released) return;
      released = true;
      try {
        const owner = readLock(path);
        if (owner?.pid === self.pid) unlinkSync(path);
      } catch {}
    },
  };
}

/** Polls until every recorded process is gone; after `graceMs`, SIGKILLs the ones still there. */
async function waitForExit(processes: ProcessIdentity[], graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  let left = processes.filter(isAlive);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    left = left.filter(isAlive);
  }
  for (const p of left) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {}
  }
}
