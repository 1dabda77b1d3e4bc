/**
 * Everything a worker process sets up once: config, AWS clients, database pool and the model
 * session. The Lambda handler and the poller both build one at start and then only call
 * `run(body)` per message, so a cold start loads the model exactly once.
 */
import { type AwsClients, awsConfigFromEnv, createAwsClients, createDb, resolveDatabaseUrl, type Sql } from "@bluemoxon/core";
import { type BackgroundRemover, createBackgroundRemover } from "./background/background-remover.ts";
import { type Delivery, type JobLog, markDeadLettered, type ProcessJobDeps, type ProcessJobResult, processJob } from "./process-job.ts";
import { createThreadRemover, defaultRemovalThreadEntry } from "./thread-remover.ts";
import { engineOptions, loadWorkerConfig, type WorkerConfig } from "./worker-config.ts";

export interface WorkerRuntime {
  config: WorkerConfig;
  aws: AwsClients;
  sql: Sql;
  /** The engine, in a worker thread that a removal past its budget terminates (in-process where the thread's entry is not shipped). */
  remover: Pick<BackgroundRemover, "model" | "remove" | "release"> & Pick<ProcessJobDeps["remover"], "removeWithin">;
  /** Processes one message body; rejects when the record should be delivered again. */
  run(body: string, logFor?: ProcessJobDeps["logFor"], delivery?: Delivery): Promise<ProcessJobResult>;
  /** Marks the job of a message that goes to the DLQ without having run; false if it had finished. */
  markDeadLettered(body: string, reason: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface WorkerRuntimeOptions {
  env?: Record<string, string | undefined>;
  /** Overrides for tests (e.g. an S3 client without SDK retries). */
  aws?: AwsClients;
  remover?: BackgroundRemover;
  applicationName?: string;
}

/**
 * @example
 * const runtime = await createWorkerRuntime();
 * await runtime.run(record.body, (ids) => logger.child(ids));
 */
export async function createWorkerRuntime(options: WorkerRuntimeOptions = {}): Promise<WorkerRuntime> {
  const env = options.env ?? process.env;
  const config = loadWorkerConfig(env);
  const aws = options.aws ?? createAwsClients(awsConfigFromEnv(env));
  const url = await resolveDatabaseUrl(config, aws.secrets);
  // One job at a time per process: a small pool is plenty, short idle suits Lambda freezes.
  const sql = createDb({ url, max: 2, idleTimeout: 20, applicationName: options.applicationName ?? "worker" });
  const engine = engineOptions(config);
  const remover = options.remover ?? (await createIsolatedRemover(engine.remover));
  const deps: Omit<ProcessJobDeps, "logFor"> = {
    sql,
    s3: aws.s3,
    bucket: config.IMAGE_BUCKET,
    remover,
    maxSourceBytes: config.MAX_SOURCE_BYTES,
    maxInputPixels: config.MAX_INPUT_PIXELS,
    processTimeoutMs: config.JOB_TIMEOUT_MS,
    output: engine.output,
  };
  return {
    config,
    aws,
    sql,
    remover,
    run: (body, logFor?: (ids: { jobId: string; bookId: string; imageId: string }) => JobLog, delivery?: Delivery) =>
      processJob(body, { ...deps, logFor }, delivery),
    markDeadLettered: (body, reason) => markDeadLettered(sql, body, reason),
    async close() {
      await sql.end({ timeout: 5 });
      if (!options.aws) aws.destroy();
      if (!options.remover) await remover.release();
    },
  };
}

/**
 * The engine in a thread that can be stopped, loaded before the first record (a cold start pays
 * once, as before). A bundle without `removal-thread.mjs` beside it (the worker image until its
 * build lists that entry) runs the engine in-process, where a deadline stops only the wait: said
 * once, loudly, at start.
 */
async function createIsolatedRemover(options: Parameters<typeof createBackgroundRemover>[0]): Promise<WorkerRuntime["remover"]> {
  const entry = defaultRemovalThreadEntry();
  if (!entry) {
    console.warn(
      JSON.stringify({
        level: "warn",
        message: "removal-thread entry not found: background removal runs in-process, a deadline cannot stop it",
      }),
    );
    return createBackgroundRemover(options);
  }
  const threaded = createThreadRemover({ engine: options, entry });
  await threaded.ready();
  return {
    model: options?.model ?? "medium",
    remove: threaded.remove as BackgroundRemover["remove"],
    removeWithin: threaded.removeWithin as ProcessJobDeps["remover"]["removeWithin"],
    release: () => threaded.release(),
  };
}
