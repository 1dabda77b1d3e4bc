/**
 * Background removal in a worker thread that can be terminated: a removal past its budget ends
 * with `ProcessingTimeoutError` only once the thread running it is gone (its ~800 MB freed), and
 * the next removal waits for that and starts a fresh thread — so no record ever runs beside a
 * removal that is still going. `Promise.race` could not do this: the inference kept running.
 *
 * Written here rather than with a pool library (piscina, workerpool): one thread, one request at a
 * time, and termination is the whole point; those add queueing this must not have.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { PermanentJobError, TransientJobError } from "@bluemoxon/core";
import { ProcessingTimeoutError } from "./errors.ts";

export interface ThreadRemoverOptions {
  /** What the thread loads: a module exporting `createRemover(options)` (tests), else the engine. */
  module?: string;
  /** Passed to the engine's `createBackgroundRemover` (or the module's `createRemover`). */
  engine?: unknown;
  /** The thread's entry file; default `removal-thread.ts` (or `.mjs` in a bundle) beside this file. */
  entry?: URL;
}

export interface ThreadRemover {
  remove(bytes: Uint8Array, options?: unknown): Promise<{ png: Buffer; width: number; height: number }>;
  /** Like `remove`, but the thread is terminated (and awaited) when `ms` pass first. */
  removeWithin(bytes: Uint8Array, options: unknown, ms: number): Promise<{ png: Buffer; width: number; height: number }>;
  /** Starts the thread (if none) and resolves once its engine is loaded; rejects when it cannot load. */
  ready(): Promise<void>;
  /** Threads started so far (a new one after each termination). */
  readonly threadsStarted: number;
  release(): Promise<void>;
}

/** A removal that failed inside the thread, with the engine's error name and kind. */
class ThreadPermanentError extends PermanentJobError {}
class ThreadTransientError extends TransientJobError {}

/** The entry beside this module, if it is there (`npm start`, tests: .ts; a bundle must ship removal-thread.mjs). */
export function defaultRemovalThreadEntry(): URL | undefined {
  for (const name of ["./removal-thread.mjs", "./removal-thread.ts"]) {
    const url = new URL(name, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

/**
 * @example
 * const remover = createThreadRemover({ engine: { model: "small" } });
 * await remover.removeWithin(bytes, {}, 60_000);
 */
export function createThreadRemover({ module, engine, entry = defaultRemovalThreadEntry() }: ThreadRemoverOptions = {}): ThreadRemover {
  if (!entry) throw new Error("removal-thread entry not found beside thread-remover");
  // A .ts entry (npm start, tests) is loaded through tsx's loader, registered inside the thread.
  const source = entry.pathname.endsWith(".ts")
    ? `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`
    : undefined;
  let thread: { worker: Worker; ready: Promise<void> } | undefined;
  let started = 0;
  let nextId = 0;
  /** The removal in progress: the next waits for it (and for its thread's end, after a timeout). */
  let busy: Promise<unknown> = Promise.resolve();

  const start = () => {
    started++;
    const workerData = { module, options: engine };
    const worker = source ? new Worker(source, { eval: true, workerData }) : new Worker(entry, { workerData });
    worker.unref();
    const ready = new Promise<void>((resolve, reject) => {
      const onReady = (m: { ready?: boolean; error?: { message: string } }) => {
        if (m.ready === undefined) return;
        worker.off("message", onReady);
        if (m.ready) resolve();
        else reject(new Error(`the removal engine did not load: ${m.error?.message}`));
      };
      worker.on("message", onReady);
      worker.once("error", reject);
    });
    ready.catch(() => {});
    return { worker, ready };
  };

  const ensureReady = async () => {
    thread ??= start();
    try {
      await thread.ready;
    } catch (error) {
      await thread.worker.terminate().catch(() => {});
      thread = undefined;
      throw error;
    }
    return thread.worker;
  };

  const run = async (bytes: Uint8Array, options: unknown, ms: number) => {
    // The engine loads first (a fresh thread after a termination loads the model again); the budget is the removal's.
    const t = await ensureReady();
    const id = ++nextId;
    return new Promise<{ png: Buffer; width: number; height: number }>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        t.off("message", onMessage);
        t.off("error", onError);
        t.off("exit", onExit);
      };
      const onMessage = (m: {
        id: number;
        png?: Uint8Array;
        width?: number;
        height?: number;
        error?: { name: string; message: string; permanent: boolean };
      }) => {
        if (m.id !== id) return;
        done();
        if (m.error) {
          const error = m.error.permanent ? new ThreadPermanentError(m.error.message) : new ThreadTransientError(m.error.message);
          Object.defineProperty(error, "name", { value: m.error.name });
          reject(error);
        } else resolve({ png: Buffer.from(m.png!), width: m.width!, height: m.height! });
      };
      const onError = (error: Error) => {
        done();
        thread = undefined;
        reject(new ThreadTransientError(`the removal thread failed: ${error.message}`, { cause: error }));
      };
      const onExit = (code: number) => {
        done();
        thread = undefined;
        reject(new ThreadTransientError(`the removal thread exited (${code})`));
      };
      t.on("message", onMessage);
      t.once("error", onError);
      t.once("exit", onExit);
      if (Number.isFinite(ms))
        timer = setTimeout(() => {
          done();
          thread = undefined;
          // Rejected only once the thread is gone: nothing of this removal runs on after it.
          t.terminate().then(
            () => reject(new ProcessingTimeoutError(`background removal took longer than ${ms} ms; stopped`)),
            () => reject(new ProcessingTimeoutError(`background removal took longer than ${ms} ms`)),
          );
        }, ms);
      t.postMessage({ id, bytes, options });
    });
  };

  const serial = (bytes: Uint8Array, options: unknown, ms: number) => {
    const result = busy.then(() => run(bytes, options, ms));
    busy = result.catch(() => {});
    return result;
  };

  return {
    remove: (bytes, options) => serial(bytes, options, Number.POSITIVE_INFINITY),
    removeWithin: (bytes, options, ms) => serial(bytes, options, ms),
    async ready() {
      const ready = busy.then(ensureReady);
      busy = ready.catch(() => {});
      await ready;
    },
    get threadsStarted() {
      return started;
    },
    async release() {
      await busy;
      await thread?.worker.terminate();
      thread = undefined;
    },
  };
}
