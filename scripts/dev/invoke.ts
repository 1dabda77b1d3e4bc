/**
 * `npm run invoke -- <function> [--event <file|->] [--sqs-body '<json>'] [--image] [--print-event]`:
 * calls one function once, as Lambda would, against the running `npm start` stack
 * ($DATA_DIR/stack.json): the API's Lambda (`api`: its actions, e.g. {"action":"migrate"}) or a
 * function of pipeline.json (`image-worker`, with an SQS event generated around --sqs-body).
 * Without --image the handler runs from source in a child process (the same execution environment
 * as npm start's); with --image the built image runs with Lambda's constraints and its own runtime
 * client pulls the event from a Lambda Runtime API served here. The response is JSON on stdout,
 * the function's logs on stderr. Exit 0 on a response, 1 on a function error, 2 on bad usage.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createLogger, errorMessage, loadManifest, resourceNames } from "@bluemoxon/core";
import {
  type ExecutionEnvironment,
  InvocationError,
  invocationContext,
  lambdaReservedEnv,
  RuntimeApi,
  toSqsEvent,
  WarmChild,
} from "@bluemoxon/event-source-mapping";
import { apiFunctionEnv, workerFunctionEnv } from "./function-env.ts";
import { stackRoot } from "./start-stack.ts";

export const usage = `usage: npm run invoke -- <function> [--event <file|->] [--sqs-body '<json>'] [--image [--tag NAME]] [--print-event]

  <function>         api (the API's Lambda: {"action":"migrate"}, a scheduled event, an HTTP event)
                     or a function of pipeline.json (image-worker)
  --event FILE|-     the event, as JSON, from a file or stdin
  --sqs-body JSON    the worker: an SQS event with one record of this body (a job message)
  --print-event      print the event that would be sent and exit (like sam local generate-event)
  --image            run the function's built image (Lambda's runtime client, read-only root,
                     memory cap, non-root) instead of its source; needs Docker
  --tag NAME         the image (default: bluemoxon-worker, bluemoxon-api-lambda)

  Against the stack of DATA_DIR (default .local), started with npm start. The response goes to
  stdout as JSON, the function's logs to stderr. Exit 0: a response; 1: a function error; 2: bad usage.`;

class UsageError extends Error {}

interface Target {
  name: string;
  service: "api" | "worker";
  /** Handler from source (`path#export`) and in the image (`file.export`). */
  handler: string;
  imageHandler: string;
  tag: string;
  memoryMb: number;
  timeoutMs: number;
  queue?: string;
}

function target(name: string, manifestPath: string): Target {
  const manifest = loadManifest(manifestPath);
  if (name === "api") {
    // The API's Lambda is not an SQS function, so pipeline.json has no size for it: Lambda's defaults of the deploy.
    return {
      name,
      service: "api",
      handler: "services/api/src/lambda.ts#handler",
      imageHandler: "lambda.handler",
      tag: "bluemoxon-api-lambda",
      memoryMb: 1024,
      timeoutMs: 30_000,
    };
  }
  const fn = manifest.functions[name];
  if (!fn) throw new UsageError(`unknown function "${name}" (api, ${Object.keys(manifest.functions).join(", ")})`);
  return {
    name,
    service: fn.service === "api" ? "api" : "worker",
    handler: fn.handler,
    imageHandler: "handler.handler",
    tag: `bluemoxon-${fn.image}`,
    memoryMb: fn.memoryMb,
    timeoutMs: fn.timeoutSeconds * 1000,
    queue: fn.queue,
  };
}

async function readEvent(source: string): Promise<unknown> {
  let text: string;
  if (source === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString("utf8");
  } else {
    if (!existsSync(source)) throw new UsageError(`--event: no such file: ${source}`);
    text = readFileSync(source, "utf8");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--event: not JSON (${errorMessage(error)})`);
  }
}

/** Runs the command line; resolves to the exit code. */
export async function invoke(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(args);
  } catch (error) {
    console.error(`${errorMessage(error)}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  try {
    if (positionals.length !== 1) throw new UsageError("name one function");
    const manifestPath = resolve(env.PIPELINE_MANIFEST?.trim() || join(stackRoot, "pipeline.json"));
    const t = target(positionals[0], manifestPath);
    const names = resourceNames(loadManifest(manifestPath), { environment: "local" });
    if (values.event && values["sqs-body"]) throw new UsageError("--event and --sqs-body exclude each other");
    let event: unknown;
    if (values.event) event = await readEvent(values.event);
    else if (values["sqs-body"] !== undefined) {
      if (!t.queue) throw new UsageError(`--sqs-body: ${t.name} is not fed by a queue`);
      const queueName = names.queue(t.queue);
      event = toSqsEvent([{ MessageId: randomUUID(), ReceiptHandle: `invoke-${randomUUID()}`, Body: values["sqs-body"] }], {
        queueArn: `arn:aws:sqs:${names.region}:${names.accountId}:${queueName}`,
        region: names.region,
        accountId: names.accountId,
      });
    } else throw new UsageError("--event or --sqs-body is required");
    if (values["print-event"]) {
      console.log(JSON.stringify(event, null, 2));
      return 0;
    }

    const dataDir = resolve(env.DATA_DIR?.trim() || join(stackRoot, ".local"));
    const stackFile = join(dataDir, "stack.json");
    if (!existsSync(stackFile)) throw new UsageError(`no running stack: ${stackFile} is missing (start one with npm start)`);
    const info = JSON.parse(readFileSync(stackFile, "utf8")) as { emulator: string; ebayFixture: string; databaseUrl?: string };
    if (!info.databaseUrl) throw new UsageError(`${stackFile} is from an older npm start: restart the stack`);
    const credentials = JSON.parse(readFileSync(join(dataDir, "aws", "credentials.json"), "utf8"));
    const addresses = {
      manifestPath,
      names,
      emulatorUrl: info.emulator,
      fixtureUrl: info.ebayFixture,
      databaseUrl: info.databaseUrl,
      logLevel: env.LOG_LEVEL || "info",
      credentials,
    };
    const functionEnv = t.service === "api" ? apiFunctionEnv(addresses) : workerFunctionEnv(addresses);
    const identity = { physicalName: names.function(t.name), region: names.region, accountId: names.accountId, memoryMb: t.memoryMb };
    const context = invocationContext(identity, randomUUID(), t.timeoutMs);

    const cleanup: (() => Promise<void>)[] = [];
    let environment: ExecutionEnvironment;
    try {
      if (values.image) environment = await imageEnvironment(t, values.tag ?? t.tag, functionEnv, identity, cleanup);
      else {
        const [file, exportName = "handler"] = t.handler.split("#");
        environment = await WarmChild.spawn({
          modulePath: resolve(stackRoot, file),
          exportName,
          env: {
            ...(env.PATH ? { PATH: env.PATH } : {}),
            ...(t.service === "worker" ? { BG_THREADS: env.BG_THREADS?.trim() || "auto" } : {}),
            ...functionEnv,
            ...lambdaReservedEnv(identity, { handler: t.handler, taskRoot: stackRoot }),
          },
          memoryMb: t.memoryMb,
          cwd: stackRoot,
          initTimeoutMs: 120_000,
          stdio: "stderr",
        });
        cleanup.push(async () => {
          environment.kill();
          await environment.exit();
        });
      }
      const response = await environment.invoke(event, context, t.timeoutMs);
      console.log(JSON.stringify(response ?? null, null, 2));
      return 0;
    } catch (error) {
      if (!(error instanceof InvocationError)) throw error;
      console.error(`invoke: ${t.name} failed (${error.kind}): ${error.message}`);
      return 1;
    } finally {
      for (const step of cleanup.reverse()) await step().catch(() => undefined);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`invoke: ${error.message}\n\n${usage}`);
      return 2;
    }
    console.error(`invoke: ${errorMessage(error)}`);
    return 1;
  }
}

function parseCommandLine(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      event: { type: "string" },
      "sqs-body": { type: "string" },
      image: { type: "boolean" },
      tag: { type: "string" },
      "print-event": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/**
 * The function's image with Lambda's constraints (as compose runs the worker), on the host's
 * network so it reaches the stack on 127.0.0.1; its runtime client pulls from a Runtime API here.
 */
async function imageEnvironment(
  t: Target,
  tag: string,
  functionEnv: Record<string, string>,
  identity: Parameters<typeof lambdaReservedEnv>[0],
  cleanup: (() => Promise<void>)[],
): Promise<ExecutionEnvironment> {
  const api = await RuntimeApi.listen({
    log: createLogger({ service: "invoke", level: "warn", write: (l) => process.stderr.write(`${l}\n`) }),
  });
  cleanup.push(() => api.close());
  const env = {
    ...functionEnv,
    ...lambdaReservedEnv(identity, { handler: t.imageHandler, taskRoot: "/var/task", runtimeApi: api.address }),
  };
  const name = `bmx-invoke-${randomUUID().slice(0, 8)}`;
  const args = ["run", "--rm", "--name", name, "--network", "host", "--read-only", "--tmpfs", "/tmp:size=512m,mode=1777"];
  args.push(
    "--memory",
    `${t.memoryMb}m`,
    "--memory-swap",
    `${t.memoryMb}m`,
    "--cpus",
    (t.memoryMb / 1769).toFixed(2),
    "--user",
    "1000:1000",
  );
  // PIPELINE_MANIFEST is a host path: the image has its own copy of pipeline.json.
  for (const [k, v] of Object.entries(env))
    if (k !== "_HANDLER" && k !== "LAMBDA_TASK_ROOT" && k !== "PIPELINE_MANIFEST") args.push("-e", `${k}=${v}`);
  const container = spawn("docker", [...args, tag, t.imageHandler], { stdio: ["ignore", 2, 2] });
  const exited = new Promise<number | null>((done) => container.on("exit", (code) => done(code)));
  cleanup.push(async () => {
    await new Promise<void>((done) => spawn("docker", ["rm", "-f", name], { stdio: "ignore" }).on("exit", () => done()));
    await exited;
  });
  // The container may fail to start (no such image): that, not a wait for its runtime, is the answer.
  return await Promise.race([
    api.claim(120_000),
    exited.then((code) => {
      throw new InvocationError("crash", `the container of ${tag} ended before its runtime called in (exit ${code}); is the image built?`);
    }),
  ]);
}
