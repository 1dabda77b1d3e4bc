/**
 * One handler child process, reused between invocations like a warm Lambda execution
 * environment. Any way it can fail — a thrown error, `process.exit`, an uncaught exception,
 * an out-of-memory kill, running past the timeout — becomes an `InvocationError`; after a
 * crash or a timeout the child is dead and the caller spawns a new one.
 */
import { type ChildProcess, fork } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ChildMessage, InvokeContext, ParentMessage } from "./child-protocol.ts";
import { handlerEnvVar, handlerExportEnvVar } from "./child-protocol.ts";
import { InvocationError } from "./errors.ts";
import type { ExecutionEnvironment } from "./execution-environment.ts";

/**
 * From source (npm start, tests) the child entry is `handler-child.ts`, run through tsx; in the
 * worker image this module is bundled and `handler-child.mjs` sits next to the bundle.
 */
// By its path: a module loaded through tsx's tsImport() has a query string on its URL.
const fromSource = new URL(import.meta.url).pathname.endsWith(".ts");
const childEntry = fileURLToPath(new URL(fromSource ? "./handler-child.ts" : "./handler-child.mjs", import.meta.url));

/** tsx's ESM loader, by absolute path so the child does not depend on its working directory. */
function tsxLoader(): string {
  const require = createRequire(import.meta.url);
  return pathToFileURL(join(dirname(require.resolve("tsx/package.json")), "dist/loader.mjs")).href;
}

/** TypeScript anywhere (the child entry or the handler) needs tsx; bundled JavaScript runs as is. */
const needsTsx = (modulePath: string) => fromSource || /\.[cm]?ts$/.test(modulePath);

export interface WarmChildOptions {
  modulePath: string;
  exportName: string;
  env: Record<string, string>;
  /** Heap limit, from the function's memory size, so a runaway handler dies like an OOM-killed Lambda. */
  memoryMb?: number;
  /** An inspector on 127.0.0.1:`inspectPort` (step-through debugging; `npm start -- --inspect=worker`). */
  inspectPort?: number;
  cwd?: string;
  initTimeoutMs: number;
  /** The child's stdout and stderr: this process's (default), dropped, or both to this process's stderr (`invoke`). */
  stdio?: "inherit" | "ignore" | "stderr";
}

export class WarmChild implements ExecutionEnvironment {
  private nextId = 1;
  private pending?: { id: number; resolve: (v: unknown) => void; reject: (e: InvocationError) => void; timer: NodeJS.Timeout };
  private exited = false;
  private exitInfo = "";

  private constructor(private readonly proc: ChildProcess) {
    proc.on("message", (message: ChildMessage) => {
      if (message.type !== "result" || !this.pending || message.id !== this.pending.id) return;
      const { resolve, reject, timer } = this.pending;
      this.pending = undefined;
      clearTimeout(timer);
      if (message.ok) resolve(message.value);
      else reject(new InvocationError("error", `${message.error.name}: ${message.error.message}`));
    });
    proc.on("exit", (code, signal) => {
      this.exited = true;
      this.exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
      if (this.pending) {
        const { reject, timer } = this.pending;
        this.pending = undefined;
        clearTimeout(timer);
        reject(new InvocationError("crash", `handler process ended during the invocation (${this.exitInfo})`));
      }
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Starts a child and waits until it has imported the handler module. */
  static async spawn(options: WarmChildOptions): Promise<WarmChild> {
    const execArgv = needsTsx(options.modulePath) ? ["--import", tsxLoader()] : [];
    if (options.memoryMb) execArgv.push(`--max-old-space-size=${options.memoryMb}`);
    if (options.inspectPort) execArgv.push(`--inspect=127.0.0.1:${options.inspectPort}`);
    const proc = fork(childEntry, [], {
      execPath: process.execPath,
      execArgv,
      cwd: options.cwd,
      env: { ...options.env, [handlerEnvVar]: options.modulePath, [handlerExportEnvVar]: options.exportName },
      stdio:
        options.stdio === "ignore"
          ? ["ignore", "ignore", "ignore", "ipc"]
          : options.stdio === "stderr"
            ? ["ignore", 2, 2, "ipc"]
            : ["inherit", "inherit", "inherit", "ipc"],
      serialization: "json",
    });
    const child = new WarmChild(proc);
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        proc.off("message", onMessage);
        proc.off("exit", onExit);
        proc.off("error", onError);
        if (error) {
          child.kill();
          reject(error);
        } else resolve();
      };
      const onMessage = (message: ChildMessage) => {
        if (message.type === "ready") done();
        else if (message.type === "init-error") {
          done(new InvocationError("error", `handler init failed: ${message.error.name}: ${message.error.message}`));
        }
      };
      const onExit = (code: number | null, signal: string | null) =>
        done(new InvocationError("crash", `handler process ended during init (${signal ? `signal ${signal}` : `exit code ${code}`})`));
      const onError = (error: Error) =>
        done(new InvocationError("crash", `cannot start handler process: ${error.message}`, { cause: error }));
      const timer = setTimeout(
        () => done(new InvocationError("timeout", `handler init took longer than ${options.initTimeoutMs} ms`)),
        options.initTimeoutMs,
      );
      proc.on("message", onMessage);
      proc.on("exit", onExit);
      proc.on("error", onError);
    });
    return child;
  }

  /** Runs one invocation; on timeout the child is killed (its work may be half done, as in Lambda). */
  invoke(event: unknown, context: InvokeContext, timeoutMs: number): Promise<unknown> {
    if (this.exited) return Promise.reject(new InvocationError("crash", `handler process is gone (${this.exitInfo})`));
    if (this.pending) return Promise.reject(new InvocationError("error", "handler process is busy"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending?.id !== id) return;
        this.pending = undefined;
        this.kill();
        reject(new InvocationError("timeout", `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`));
      }, timeoutMs);
      this.pending = { id, resolve, reject, timer };
      const message: ParentMessage = { type: "invoke", id, event, context };
      this.proc.send(message, (error) => {
        if (error && this.pending?.id === id) {
          this.pending = undefined;
          clearTimeout(timer);
          reject(new InvocationError("crash", `cannot reach handler process: ${error.message}`, { cause: error }));
        }
      });
    });
  }

  /** Ends the child at once (SIGKILL: a hung handler would ignore anything gentler). */
  kill(): void {
    if (!this.exited) this.proc.kill("SIGKILL");
  }

  /** Resolves once the process has exited. */
  async exit(): Promise<void> {
    if (this.exited) return;
    await new Promise<void>((resolve) => this.proc.once("exit", () => resolve()));
  }
}
