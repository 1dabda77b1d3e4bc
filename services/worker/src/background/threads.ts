/**
 * How many intra-op threads the model's session gets. `BG_THREADS` decides:
 * - unset: as on Lambda — one thread per vCPU the function's memory buys
 *   (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE` ÷ 1769 MB), or one per core where that is not set;
 * - `auto`: every core of the machine, whatever the memory says (local runs: one photo gets the
 *   whole machine; with several engines busy at once the threads do not spin, so they share the
 *   cores instead of fighting for them — see docs/benchmarks.md);
 * - an integer ≥ 1: exactly that many.
 */
import { availableParallelism } from "node:os";
import { z } from "zod";

/** Memory at which Lambda allots one full vCPU; below it, CPU time is a share of one. */
export const lambdaMbPerVcpu = 1769;

/** `BG_THREADS`: unset, `auto` or a positive integer; for the engine's config schema. */
export const bgThreadsSetting = () =>
  z.preprocess(
    (v) => {
      if (typeof v !== "string") return v;
      const s = v.trim().toLowerCase();
      if (s === "") return undefined;
      // Only a positive whole number becomes a number; anything else stays as written for the error.
      return /^\d+$/.test(s) && Number(s) >= 1 ? Number(s) : s === "auto" ? s : v;
    },
    z
      .union([z.literal("auto"), z.number().int().positive()], {
        error: (i) => `must be "auto" or a whole number of threads ≥ 1, got "${String(i.input)}"`,
      })
      .optional(),
  );

export type ThreadsSetting = z.output<ReturnType<typeof bgThreadsSetting>>;

/** A bad `BG_THREADS`; the message names the variable, as the worker's config errors do. */
export class ThreadsConfigError extends Error {
  override name = "ThreadsConfigError";
}

/**
 * The intra-op thread count for `setting` (`BG_THREADS` as parsed) and this environment. On
 * Lambda (unset) one thread per vCPU the memory buys, rounded, at least 1, at most the visible
 * cores (Lambda shows 2 cores from 128 MB up): a second thread on a share of one vCPU only adds
 * synchronisation (the bench measured 8 % more CPU per photo with 2 threads than with 1).
 */
export function threadsFor(
  setting: ThreadsSetting,
  env: Record<string, string | undefined> = process.env,
  cores = availableParallelism(),
): number {
  if (typeof setting === "number") return setting;
  if (setting === "auto") return cores;
  const memory = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  if (!Number.isFinite(memory) || memory <= 0) return cores;
  return Math.max(1, Math.min(cores, Math.round(memory / lambdaMbPerVcpu)));
}

/**
 * The engine's default thread count from the environment (`BG_THREADS`, else Lambda's memory).
 * Throws `ThreadsConfigError` naming BG_THREADS for a value that is neither `auto` nor a positive
 * integer. (Read here, not only by the worker's config schema, so that every way of creating the
 * engine — worker, CLI, benchmarks — honours and checks it; the engine does not load
 * `@bluemoxon/core`, whose AWS and database clients are no part of its cold start.)
 * @example
 * defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1769" }, 8); // 1
 * defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1769", BG_THREADS: "auto" }, 8); // 8
 */
export function defaultThreads(env: Record<string, string | undefined> = process.env, cores = availableParallelism()): number {
  const parsed = bgThreadsSetting().safeParse(env.BG_THREADS);
  if (!parsed.success) throw new ThreadsConfigError(`BG_THREADS ${parsed.error.issues[0]?.message ?? "is invalid"}`);
  return threadsFor(parsed.data, env, cores);
}
