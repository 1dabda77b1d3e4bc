/**
 * The processes of `npm start`: spawns each part, waits for its ready line, restarts the ones
 * that may crash (the API), restarts any on demand (hot reload), and stops them in the order
 * the caller gives. Every child runs with `scripts/lib/die-with-parent.ts` preloaded and its
 * stdin a pipe from here, so it exits when this process is gone, even after a SIGKILL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chalk } from "zx";

const dieWithParent = pathToFileURL(fileURLToPath(new URL("../lib/die-with-parent.ts", import.meta.url))).href;

export interface ChildSpec {
  name: string;
  /** Path of the entry module, relative to the supervisor's root. */
  script: string;
  env: Record<string, string>;
  /** The line that says the child is up; its match is what `start` resolves with. Null: a one-shot job that must exit 0. */
  ready: RegExp | null;
  timeoutMs?: number;
  /** Restart after a crash (up to 5 times a minute) with the env this returns, instead of stopping the stack. */
  restartEnv?: () => Record<string, string>;
  /**
   * One log per function: JSON lines whose `service` is a key here go to `<value>.log` instead of
   * this child's (the local AWS runs the worker's handler processes; their lines are the worker's).
   */
  serviceLogs?: Record<string, string>;
  /** Node flags before the script (e.g. `--inspect=127.0.0.1:9230`). */
  execArgv?: string[];
}

/** The `service` of a JSON log line, if it is one. */
function serviceOf(line: string): string | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const service = (JSON.parse(line) as { service?: unknown }).service;
    return typeof service === "string" ? service : undefined;
  } catch {
    return undefined;
  }
}

interface Entry {
  spec: ChildSpec;
  child: ChildProcess;
  logFile: string;
  tail: string[];
  ready: boolean;
  /** Set while this supervisor is the one stopping it (a reload or the shutdown): not a crash. */
  stopping: boolean;
  exited: Promise<void>;
}

export interface SupervisorOptions {
  root: string;
  logsDir: string;
  env?: NodeJS.ProcessEnv;
  verbose?: boolean;
  /** Called when a child that must stay up dies and cannot be restarted. */
  onFatal: (message: string) => void;
  /** Called after a child set changed (started, restarted, exited). */
  onChange?: () => void;
}

/**
 * Resolves with the match of the first line of `child`'s stdout/stderr that matches `pattern`;
 * rejects when the child exits first or `timeoutMs` passes. `onLine` sees every line.
 *
 * @example
 * const [, url] = await readyLine(child, /api listening (\S+)/, { timeoutMs: 60_000 });
 */
export function readyLine(
  child: ChildProcess,
  pattern: RegExp,
  { timeoutMs, onLine, describe = "process" }: { timeoutMs: number; onLine?: (line: string) => void; describe?: string },
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    let done = false;
    const finish = (error?: Error, match?: RegExpExecArray) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(match as RegExpExecArray);
    };
    const timer = setTimeout(
      () => finish(new Error(`${describe} printed no ready line within ${timeoutMs / 1000}s:\n  ${tail.join("\n  ")}`)),
      timeoutMs,
    );
    const line = (text: string) => {
      onLine?.(text);
      tail.push(text);
      if (tail.length > 20) tail.shift();
      const match = pattern.exec(text);
      if (match) finish(undefined, match);
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`${describe} ${signal ? `was killed (${signal})` : `exited with code ${code}`}:\n  ${tail.join("\n  ")}`));
    if (child.stdout) createInterface({ input: child.stdout }).on("line", line);
    if (child.stderr) createInterface({ input: child.stderr }).on("line", line);
    child.once("exit", onExit);
  });
}

export class Supervisor {
  private readonly entries = new Map<string, Entry>();
  private readonly crashes = new Map<string, number[]>();
  private shuttingDown = false;

  constructor(private readonly o: SupervisorOptions) {}

  /** Process ids of the running children, by name. */
  pids(): Record<string, number> {
    return Object.fromEntries(
      [...this.entries].filter(([, e]) => e.child.exitCode === null && e.child.pid).map(([name, e]) => [name, e.child.pid as number]),
    );
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Starts one child and resolves with the match of its ready line (null for a one-shot job). */
  start(spec: ChildSpec): Promise<RegExpExecArray | null> {
    const logFile = join(this.o.logsDir, `${spec.name}.log`);
    appendFileSync(logFile, `\n--- ${new Date().toISOString()} start ---\n`);
    const child = spawn(
      process.execPath,
      [...(spec.execArgv ?? []), "--import", "tsx", "--import", dieWithParent, join(this.o.root, spec.script)],
      {
        cwd: this.o.root,
        env: { ...(this.o.env ?? process.env), ...spec.env },
        // stdin: the pipe the child watches (see die-with-parent.ts); nothing is ever written to it.
        stdio: ["pipe", "pipe", "pipe"],
        // Own process group: a terminal Ctrl-C reaches only the supervisor, which stops the children in order.
        detached: true,
      },
    );
    const entry: Entry = {
      spec,
      child,
      logFile,
      tail: [],
      ready: false,
      stopping: false,
      exited: new Promise((r) => child.once("exit", () => r())),
    };
    this.entries.set(spec.name, entry);
    const routes = new Map(Object.entries(spec.serviceLogs ?? {}));
    const onLine = (line: string) => {
      const routed = routes.size ? routes.get(serviceOf(line) ?? "") : undefined;
      appendFileSync(routed ? join(this.o.logsDir, `${routed}.log`) : logFile, `${line}\n`);
      entry.tail = [...entry.tail.slice(-19), line];
      if (this.o.verbose) console.log(chalk.gray(`[${spec.name}] ${line}`));
    };
    const timeoutMs = spec.timeoutMs ?? 60_000;
    const started: Promise<RegExpExecArray | null> = spec.ready
      ? readyLine(child, spec.ready, { timeoutMs, onLine, describe: spec.name })
      : new Promise((resolve, reject) => {
          createInterface({ input: child.stdout! }).on("line", onLine);
          createInterface({ input: child.stderr! }).on("line", onLine);
          child.once("exit", (code) =>
            code === 0 ? resolve(null) : reject(new Error(`${spec.name} exited with code ${code}:\n  ${entry.tail.join("\n  ")}`)),
          );
        });
    started.then(
      () => {
        entry.ready = true;
        this.o.onChange?.();
      },
      () => {},
    );
    child.once("exit", (code, signal) => this.onExit(entry, code, signal));
    return started.catch((error: Error) => {
      if (child.exitCode === null) child.kill("SIGKILL");
      throw new Error(`${error.message}\n(full log: ${logFile})`);
    });
  }

  private onExit(entry: Entry, code: number | null, signal: string | null): void {
    if (this.entries.get(entry.spec.name) === entry && !entry.spec.ready) this.entries.delete(entry.spec.name);
    this.o.onChange?.();
    if (!entry.ready || !entry.spec.ready || entry.stopping || this.shuttingDown) return;
    const { name } = entry.spec;
    const why = signal ? `was killed (${signal})` : `exited with code ${code}`;
    const recent = [...(this.crashes.get(name) ?? []).filter((t) => Date.now() - t < 60_000), Date.now()];
    this.crashes.set(name, recent);
    if (entry.spec.restartEnv && recent.length <= 5) {
      console.error(
        chalk.yellow(
          `${name} ${why} — restarting it (${recent.length}/5 this minute). Last lines:\n  ${entry.tail.slice(-5).join("\n  ")}`,
        ),
      );
      this.start({ ...entry.spec, env: entry.spec.restartEnv() }).catch((error: Error) =>
        this.o.onFatal(`${name} could not be restarted: ${error.message}`),
      );
      return;
    }
    this.o.onFatal(`${name} ${why} — stopping the stack. Last lines:\n  ${entry.tail.join("\n  ")}\n(full log: ${entry.logFile})`);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
  async stop(name: string, graceMs: number): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) return;
    entry.stopping = true;
    if (entry.child.exitCode === null && entry.child.signalCode === null) {
      entry.child.kill("SIGTERM");
      const timer = setTimeout(() => entry.child.kill("SIGKILL"), graceMs);
      await entry.exited;
      clearTimeout(timer);
    }
  }

  /** Stops a child and starts it again with `env` (default: its current env); for hot reload. */
  async restart(name: string, graceMs: number, env?: Record<string, string>): Promise<RegExpExecArray | null> {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`no child named ${name}`);
    await this.stop(name, graceMs);
    return this.start({ ...entry.spec, env: env ?? entry.spec.env });
  }

  /** Sends a signal to a running child (e.g. SIGUSR2: "recycle your workers"). */
  signal(name: string, signal: NodeJS.Signals): boolean {
    const entry = this.entries.get(name);
    return !!entry && entry.child.exitCode === null && entry.child.kill(signal);
  }

  /** Stops every child: the groups in order, the children of one group side by side. */
  async shutdown(order: { names: string[]; graceMs: number }[]): Promise<void> {
    this.shuttingDown = true;
    for (const group of order) await Promise.all(group.names.map((n) => this.stop(n, group.graceMs)));
    await Promise.all([...this.entries.keys()].map((n) => this.stop(n, 1_000)));
  }

  /** Last resort on `process.exit`: nothing may outlive the supervisor. */
  killAll(): void {
    for (const e of this.entries.values()) if (e.child.exitCode === null) e.child.kill("SIGKILL");
  }
}
