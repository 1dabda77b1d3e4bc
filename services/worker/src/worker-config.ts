/**
 * The worker's environment, read once at start through one schema. Database access is either
 * `DATABASE_URL` (local, compose) or the Aurora secret with host and name (AWS).
 */
import { envBool, envInt, loadConfig, optionalString, requiredString } from "@bluemoxon/core";
import { z } from "zod";
import type { BackgroundRemoverOptions, RemoveOptions } from "./background/background-remover.ts";
import type { DecodeLimits } from "./background/decode-image.ts";
import { bgThreadsSetting } from "./background/threads.ts";

const emptyIsUnset = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalPositiveInt = () =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : emptyIsUnset(v)),
    z
      .number({ error: (i) => `must be a positive integer, got "${String(i.input)}"` })
      .int()
      .positive()
      .optional(),
  );

/**
 * The engine's part of the environment: which model, where from, what the cut-out looks like. The
 * worker reads it with everything else; `cutout-cli.ts` reads only this.
 */
export const engineConfigSchema = z.object({
  /** Which ISNet model: `medium` (chosen by scripts/bench-worker.ts: the package default's quality, faster) or `small` (quantised). */
  BG_MODEL: z.preprocess(emptyIsUnset, z.enum(["small", "medium"]).default("medium")),
  /** ONNX Runtime's CPU arena: off keeps peak RSS well under 1 GB. */
  BG_MEMORY_ARENA: envBool(false),
  /** Folder with the model's `resources.json` and chunks (the image sets it); default: the npm package. */
  BG_MODEL_DIR: optionalString(),
  /** Crop to the book plus this many pixels; unset = keep the photo's dimensions. */
  BG_TRIM_PADDING: z.preprocess(
    (v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : emptyIsUnset(v)),
    z
      .number({ error: (i) => `must be an integer ≥ 0, got "${String(i.input)}"` })
      .int()
      .min(0)
      .optional(),
  ),
  /**
   * Intra-op threads: unset = as on Lambda (from AWS_LAMBDA_FUNCTION_MEMORY_SIZE), `auto` = every
   * core (npm start), or a number. The engine reads it itself when it is created (in its thread);
   * here it is checked once at start, so a bad value stops the process naming the variable.
   */
  BG_THREADS: bgThreadsSetting(),
  /** Longest edge of the cut-out; unset = the photo's size. */
  BG_MAX_OUTPUT_EDGE: optionalPositiveInt(),
  /** Pixel limit checked from the header before decoding (decompression bombs). */
  MAX_INPUT_PIXELS: envInt(36_000_000),
});

export type EngineConfig = z.output<typeof engineConfigSchema>;

export const workerConfigSchema = z
  .object({
    PIPELINE_ENV: requiredString(),
    IMAGE_BUCKET: requiredString(),
    DATABASE_URL: optionalString(),
    DATABASE_SECRET_ARN: optionalString(),
    DATABASE_HOST: optionalString(),
    DATABASE_PORT: envInt(5432),
    DATABASE_NAME: optionalString(),
    MAX_SOURCE_BYTES: envInt(30 * 1024 * 1024),
    /** Background removal of one photo must finish within this, or the record fails and is retried (Lambda: also the time left). */
    JOB_TIMEOUT_MS: envInt(300_000),
    /** Lambda: a record starts only while the invocation has this much time left. */
    RECORD_TIME_BUDGET_MS: envInt(20_000),
    // Case-insensitive: Powertools and the Lambda console use "WARN", the core logger "warn".
    LOG_LEVEL: z.preprocess(
      (v) => (typeof v === "string" ? emptyIsUnset(v.toLowerCase()) : v),
      z.enum(["debug", "info", "warn", "error"]).default("info"),
    ),
    /** Poller only: the queue to read (the Lambda gets its records from the event source mapping). */
    IMAGE_QUEUE_URL: optionalString(),
    ...engineConfigSchema.shape,
  })
  .superRefine((c, ctx) => {
    if (!c.DATABASE_URL && !(c.DATABASE_SECRET_ARN && c.DATABASE_HOST && c.DATABASE_NAME)) {
      ctx.addIssue({
        code: "custom",
        path: ["DATABASE_URL"],
        message: "is required (or DATABASE_SECRET_ARN with DATABASE_HOST and DATABASE_NAME)",
      });
    }
  });

export type WorkerConfig = z.output<typeof workerConfigSchema>;

/**
 * @example
 * const config = loadWorkerConfig(); // throws ConfigError naming every bad variable
 */
export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  return loadConfig(workerConfigSchema, env);
}

/**
 * The engine's options, a cut-out's options and the decoder's limits, from the BG_* variables and
 * MAX_INPUT_PIXELS (the worker and the CLI alike).
 */
export function engineOptions(config: EngineConfig): {
  remover: BackgroundRemoverOptions;
  output: Pick<RemoveOptions, "trim" | "maxOutputEdge">;
  limits: DecodeLimits;
} {
  return {
    remover: { model: config.BG_MODEL, memoryArena: config.BG_MEMORY_ARENA, modelDir: config.BG_MODEL_DIR },
    output: {
      trim: config.BG_TRIM_PADDING === undefined ? false : { padding: config.BG_TRIM_PADDING },
      maxOutputEdge: config.BG_MAX_OUTPUT_EDGE,
    },
    limits: { maxInputPixels: config.MAX_INPUT_PIXELS },
  };
}
