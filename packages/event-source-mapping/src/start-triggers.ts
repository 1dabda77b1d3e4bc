/**
 * Starts the local stand-ins for the Lambda event source mappings of `pipeline.json`: one
 * `FunctionTrigger` per function, talking to SQS through the real SDK at `endpoint` (the
 * embedded emulator, moto or LocalStack). With IAM enforcement on, pass each function's
 * credentials: like a real mapping, polling and deleting happen with the function's role.
 *
 * Execution environments are handler child processes of this one (npm start), or, with
 * `runtimeApi`, whatever runtimes pull their invocations from the Lambda Runtime API it serves
 * (the worker image's own runtime client, one container per concurrency slot under compose).
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { createAwsClients, createLogger, type Logger, type Manifest, repoRoot, resourceNames } from "@bluemoxon/core";
import { TriggerStartError } from "./errors.ts";
import type { ExecutionEnvironment } from "./execution-environment.ts";
import { FunctionTrigger, type FunctionTriggerStats } from "./function-trigger.ts";
import { lambdaReservedEnv, logStreamName } from "./invocation-context.ts";
import { RuntimeApi } from "./runtime-api.ts";
import { WarmChild } from "./warm-child.ts";

export interface TriggerCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface StartTriggersOptions {
  endpoint: string;
  region?: string;
  /** One set for every function, or per function (e.g. `({ service }) => principals.services[service]`). */
  credentials?: TriggerCredentials | ((fn: { name: string; service: string }) => TriggerCredentials | undefined);
  manifest: Manifest;
  environment?: string;
  accountId?: string;
  /** Environment of the handler processes (Lambda's reserved variables are added on top). */
  functionEnv?: Record<string, string>;
  /** Per function: `"/abs/path/module.ts#export"` (or relative to the repo root) instead of the manifest's handler. */
  handlers?: Record<string, string>;
  /** Only these functions (default: all of the manifest's). */
  functions?: string[];
  log?: Logger;
  /** Replaces every function's `timeoutSeconds` (tests). */
  timeoutMsOverride?: number;
  /** Limit for importing the handler module in a new child (default 60 s; the worker loads a model). */
  initTimeoutMs?: number;
  /** Long-poll wait of an idle poller in seconds (default 20, like Lambda). */
  waitTimeSeconds?: number;
  /** How long `stop()` lets running batches finish before killing them (default 30 s). */
  stopGraceMs?: number;
  /** Handler processes' stdout/stderr: passed through (default) or dropped. */
  childStdio?: "inherit" | "ignore";
  /**
   * The function's code folder, like Lambda's `/var/task`: relative handler paths resolve against
   * it, and it is the children's working directory and `LAMBDA_TASK_ROOT` (default: the repository).
   */
  taskRoot?: string;
  /**
   * Serve the Lambda Runtime API instead of starting child processes: one server per function
   * (port 0: a free one), the environments being the runtimes that call it. `killEnvironment`
   * stops one that timed out (e.g. restarts its container); `initTimeoutMs` bounds the wait
   * for an environment to call in (default: none, a slot waits for its runtime before it takes records).
   */
  runtimeApi?: { host?: string; port?: number; killEnvironment?: (key: string) => Promise<void> | void };
  /**
   * Step-through debugging of one function's handler children: each starts with an inspector on
   * 127.0.0.1:`port`, the function runs one slot (one child, so one port) with no timeout kill
   * (a paused handler is not a hung one), and its child is started before the first batch so a
   * debugger can attach and set breakpoints first. Child processes only (not with `runtimeApi`).
   */
  inspect?: { function: string; port: number };
}

export interface Triggers {
  stop(): Promise<void>;
  stats(): Record<string, FunctionTriggerStats>;
  /** Process ids of the live handler children, per function (tests watch these being replaced). */
  childPids(): Record<string, number[]>;
  /**
   * The handlers' code changed (hot reload): each next batch runs in a fresh child, running
   * batches finish on the old code. Returns how many idle children were stopped at once.
   */
  recycle(): number;
  /** `host:port` of each function's Runtime API (with `runtimeApi`). */
  runtimeApis(): Record<string, string>;
}

const defaultCredentials: TriggerCredentials = { accessKeyId: "test", secretAccessKey: "test" };

function parseHandler(spec: string, fn: string, taskRoot: string): { modulePath: string; exportName: string } {
  const hash = spec.lastIndexOf("#");
  const file = hash < 0 ? spec : spec.slice(0, hash);
  const exportName = hash < 0 ? "handler" : spec.slice(hash + 1);
  const modulePath = isAbsolute(file) ? file : resolve(taskRoot, file);
  if (!file || !exportName) throw new TriggerStartError(`function "${fn}": handler "${spec}" must be "path/to/module.ts#export"`);
  if (!existsSync(modulePath)) throw new TriggerStartError(`function "${fn}": handler module ${modulePath} does not exist`);
  return { modulePath, exportName };
}

/**
 * @example
 * const triggers = await startTriggers({ endpoint: emulator.url, manifest, functionEnv: workerEnv,
 *   credentials: ({ service }) => principals.services[service] });
 * // … later
 * await triggers.stop();
 */
export async function startTriggers(options: StartTriggersOptions): Promise<Triggers> {
  const { manifest, endpoint } = options;
  const region = options.region ?? "us-east-1";
  const environment = options.environment ?? "local";
  const log = options.log ?? createLogger({ service: "emulator-trigger" });
  const names = resourceNames(manifest, { environment, region, accountId: options.accountId });
  const selected = options.functions ?? Object.keys(manifest.functions);
  const taskRoot = options.taskRoot ?? repoRoot;
  const clients: { destroy(): void }[] = [];
  const triggers = new Map<string, FunctionTrigger>();
  const apis = new Map<string, RuntimeApi>();

  try {
    for (const name of selected) {
      const spec = manifest.functions[name];
      if (!spec)
        throw new TriggerStartError(`unknown function "${name}" (pipeline.json has: ${Object.keys(manifest.functions).join(", ")})`);
      const handlerSpec = options.handlers?.[name] ?? spec.handler;
      const credentials =
        (typeof options.credentials === "function" ? options.credentials({ name, service: spec.service }) : options.credentials) ??
        defaultCredentials;
      const aws = createAwsClients({ region, endpoint, credentials, maxSockets: spec.maximumConcurrency + 2 });
      clients.push(aws);
      const identity = { physicalName: names.function(name), region, accountId: names.accountId, memoryMb: spec.memoryMb };
      const inspecting = options.inspect?.function === name && !options.runtimeApi;
      // No timeout kill while debugging: the longest a timer can wait (about 24.8 days).
      const timeoutMs = inspecting ? 2_147_483_647 : (options.timeoutMsOverride ?? spec.timeoutSeconds * 1000);
      const initTimeoutMs = inspecting ? 2_147_483_647 : (options.initTimeoutMs ?? 60_000);
      let startEnvironment: () => Promise<ExecutionEnvironment>;
      let prewarm: { interrupt(): void } | undefined;
      if (options.runtimeApi) {
        const api = await RuntimeApi.listen({ ...options.runtimeApi, log: log.child({ function: name }) });
        apis.set(name, api);
        // The environments start on their own (containers); a slot waits for one before it takes records.
        startEnvironment = () => api.claim(options.initTimeoutMs);
        prewarm = { interrupt: () => api.stopClaims() };
      } else {
        const { modulePath, exportName } = parseHandler(handlerSpec, name, taskRoot);
        const env: Record<string, string> = {
          ...(process.env.PATH ? { PATH: process.env.PATH } : {}),
          AWS_ENDPOINT_URL: endpoint,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
          ...options.functionEnv,
          // Lambda's reserved variables win over the function's own, as in AWS.
          ...lambdaReservedEnv(identity, { handler: handlerSpec, taskRoot }),
        };
        startEnvironment = () =>
          WarmChild.spawn({
            modulePath,
            exportName,
            // Each environment has a log stream of its own, as on Lambda.
            env: { ...env, AWS_LAMBDA_LOG_STREAM_NAME: logStreamName() },
            memoryMb: spec.memoryMb,
            ...(inspecting ? { inspectPort: options.inspect?.port } : {}),
            cwd: taskRoot,
            initTimeoutMs,
            stdio: options.childStdio ?? "inherit",
          });
        // The debugged child starts now, not at the first batch: the debugger attaches before work arrives.
        if (inspecting) prewarm = { interrupt: () => {} };
      }
      const trigger = new FunctionTrigger({
        name,
        spec: inspecting ? { ...spec, maximumConcurrency: 1 } : spec,
        sqs: aws.sqs,
        names,
        endpoint,
        region,
        startEnvironment,
        prewarm,
        timeoutMs,
        waitTimeSeconds: options.waitTimeSeconds ?? 20,
        log,
      });
      await trigger.start();
      triggers.set(name, trigger);
    }
  } catch (error) {
    await Promise.all([...triggers.values()].map((t) => t.stop(0)));
    await Promise.all([...apis.values()].map((a) => a.close()));
    for (const c of clients) c.destroy();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        await Promise.all([...triggers.values()].map((t) => t.stop(options.stopGraceMs ?? 30_000)));
        await Promise.all([...apis.values()].map((a) => a.close()));
        for (const c of clients) c.destroy();
      })();
      return stopping;
    },
    stats: () => Object.fromEntries([...triggers].map(([name, t]) => [name, { ...t.stats }])),
    childPids: () => Object.fromEntries([...triggers].map(([name, t]) => [name, t.childPids()])),
    recycle: () => [...triggers.values()].reduce((n, t) => n + t.recycle(), 0),
    runtimeApis: () => Object.fromEntries([...apis].map(([name, api]) => [name, api.address])),
  };
}
