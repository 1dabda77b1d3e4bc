/**
 * The event source mapping of one function of `pipeline.json`, configured from the environment:
 * how the worker image runs its Lambda `handler` under `docker compose up`, where LocalStack's free
 * tier has no container-image Lambdas. The same `startTriggers` as `npm start`, so batch size,
 * batching window, maximum concurrency, timeout, partial batch failures and redrive behave alike.
 *
 * The function's environment is this process's own (the container's), as Lambda gives a function
 * the variables of its configuration; the `ESM_*` variables configure the mapping itself. With
 * `ESM_RUNTIME_API_PORT` it serves the Lambda Runtime API instead, and the function's own
 * containers (the worker image, unchanged) pull their invocations from it.
 */
import { dirname } from "node:path";
import {
  awsConfigFromEnv,
  createLogger,
  envInt,
  type Logger,
  loadConfig,
  loadManifest,
  optionalString,
  requiredString,
} from "@bluemoxon/core";
import { z } from "zod";
import { dockerRestarter } from "./docker-restart.ts";
import { TriggerStartError } from "./errors.ts";
import { startTriggers, type Triggers } from "./start-triggers.ts";

export const eventSourceMappingConfigSchema = z.object({
  /** The SQS endpoint (LocalStack, moto, the embedded emulator). In AWS the real mapping runs instead. */
  AWS_ENDPOINT_URL: requiredString(),
  PIPELINE_ENV: requiredString(),
  /** Logical function name in `pipeline.json` (default: the manifest's only function). */
  ESM_FUNCTION: optionalString(),
  /** `/path/module.mjs#export`; default: the manifest's `handler`, relative to `LAMBDA_TASK_ROOT`. */
  ESM_HANDLER: optionalString(),
  LAMBDA_TASK_ROOT: optionalString(),
  /** Account in queue ARNs and URLs (LocalStack and moto use 000000000000). */
  ESM_ACCOUNT_ID: optionalString(),
  /** Long-poll wait of an idle poller, seconds (Lambda: 20). */
  ESM_WAIT_TIME_SECONDS: envInt(20).pipe(z.number().min(0).max(20)),
  /**
   * Serve the Lambda Runtime API on this port (all interfaces) instead of running the handler in
   * child processes: the function's containers (AWS_LAMBDA_RUNTIME_API=<this host>:<port>) pull
   * their invocations from it. Unset: child processes, as under npm start.
   */
  ESM_RUNTIME_API_PORT: envInt().pipe(z.number().min(1).max(65535)).optional(),
  /**
   * Replaces the function's timeout, in seconds: for step-through debugging (compose.debug.yaml),
   * so a handler paused at a breakpoint is not killed as timed out.
   */
  ESM_TIMEOUT_SECONDS: envInt().pipe(z.number().min(1)).optional(),
  /** The Docker Engine's socket, if mounted: a container whose invocation timed out is restarted through it. */
  ESM_DOCKER_SOCKET: optionalString(),
});

export interface RunningEventSourceMapping extends Triggers {
  function: string;
}

/**
 * @example
 * // docker compose: the worker image's entry point
 * const mapping = await runEventSourceMapping(process.env);
 * process.once("SIGTERM", () => mapping.stop().then(() => process.exit(0)));
 */
export async function runEventSourceMapping(
  env: Record<string, string | undefined> = process.env,
  log: Logger = createLogger({ service: "event-source-mapping" }),
): Promise<RunningEventSourceMapping> {
  const config = loadConfig(eventSourceMappingConfigSchema, env);
  const manifest = loadManifest(env.PIPELINE_MANIFEST || undefined);
  const names = Object.keys(manifest.functions);
  const fn = config.ESM_FUNCTION ?? (names.length === 1 ? names[0] : undefined);
  if (!fn) throw new TriggerStartError(`ESM_FUNCTION is required: pipeline.json has several functions (${names.join(", ")})`);
  if (!manifest.functions[fn]) throw new TriggerStartError(`ESM_FUNCTION "${fn}" is not in pipeline.json (it has: ${names.join(", ")})`);
  const aws = awsConfigFromEnv(env);
  const handler = config.ESM_HANDLER;
  const taskRoot = config.LAMBDA_TASK_ROOT ?? (handler ? dirname(handler.split("#")[0]) : undefined);
  const functionEnv = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith("ESM_")),
  );
  const triggers = await startTriggers({
    endpoint: config.AWS_ENDPOINT_URL,
    region: aws.region,
    credentials: aws.credentials,
    manifest,
    environment: config.PIPELINE_ENV,
    accountId: config.ESM_ACCOUNT_ID,
    functionEnv,
    functions: [fn],
    ...(handler ? { handlers: { [fn]: handler } } : {}),
    ...(taskRoot ? { taskRoot } : {}),
    waitTimeSeconds: config.ESM_WAIT_TIME_SECONDS,
    ...(config.ESM_TIMEOUT_SECONDS ? { timeoutMsOverride: config.ESM_TIMEOUT_SECONDS * 1000 } : {}),
    ...(config.ESM_RUNTIME_API_PORT
      ? {
          runtimeApi: {
            host: "0.0.0.0",
            port: config.ESM_RUNTIME_API_PORT,
            ...(config.ESM_DOCKER_SOCKET ? { killEnvironment: dockerRestarter(config.ESM_DOCKER_SOCKET) } : {}),
          },
        }
      : {}),
    // Let a running batch finish within the function's own timeout, as Lambda would.
    stopGraceMs: manifest.functions[fn].timeoutSeconds * 1000,
    log,
  });
  return { ...triggers, function: fn };
}
