/**
 * Lambda's limits as compose applies them to the worker containers, enforced for real: a container
 * of the base image (the runtime client the worker image runs) with compose.yaml's worker settings
 * — read-only root, 512 MB /tmp, non-root user, memory of `memoryMb` with no swap, restart on
 * failure — pulling from the event source mapping's Runtime API, fed by SQS (the embedded emulator):
 *   - a handler that writes to /var/task fails (EROFS), its record kept, as on Lambda;
 *   - one that outgrows its memory is killed by the limit; the mapping sees its runtime start
 *     again, counts a crash, and the record comes back and completes;
 *   - one that runs past the function's timeout: the mapping keeps the record and stops the
 *     container (restarts it), and the record completes in the new environment.
 * A small memoryMb (256) so the kill comes quickly on a shared machine; the flags are derived from
 * it exactly as compose.yaml's are from pipeline.json (compose.test.ts checks those).
 * Skips, saying why, without a Docker engine or the base image.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createLogger, loadManifest, type Manifest, parseManifest, repoRoot } from "@bluemoxon/core";
import { startTriggers, type Triggers } from "@bluemoxon/event-source-mapping";
import { lambdaReservedEnv } from "@bluemoxon/event-source-mapping/invocation-context";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type AwsBackend, startAwsBackend, testCredentials } from "../support/aws-backend.ts";
import { dockerEngineProblem, ensureImage, run } from "../support/docker.ts";
import { until } from "../support/until.ts";

const baseImage = "public.ecr.aws/lambda/nodejs:22.2025.08.04.11";
const handlers = fileURLToPath(new URL("./handlers/", import.meta.url));
const memoryMb = 256;
const worker = (
  parse(readFileSync(resolve(repoRoot, "compose.yaml"), "utf8"), { merge: true }) as {
    services: { worker: { read_only: boolean; tmpfs: string[]; user: string; restart: string } };
  }
).services.worker;

const engine = await dockerEngineProblem();
const image = engine ? { problem: engine } : await ensureImage(baseImage);
const started = "problem" in image ? undefined : await startAwsBackend({ kind: "emulator" });
const skip = "problem" in image ? image.problem : started && "skip" in started ? started.skip : null;
if (skip) console.log(`[lambda limits] skipped: ${skip}`);
const backend = started && !("skip" in started) ? (started as AwsBackend) : undefined;

let sqs: SQSClient;
const containers: string[] = [];
const running: Triggers[] = [];
const lines: Record<string, unknown>[] = [];
const baseManifest = loadManifest();

/** A queue of its own, the mapping serving the Runtime API for it, and one container pulling from it. */
async function mappingWithContainer(handler: string, options: { timeoutMs?: number } = {}) {
  const id = randomBytes(3).toString("hex");
  const fn = `limits-${id}`;
  const queue = `limits-q-${id}`;
  const name = `bmx-limits-${id}`;
  const manifest: Manifest = parseManifest({
    ...baseManifest,
    queues: { ...baseManifest.queues, [queue]: { visibilityTimeoutSeconds: 720, deadLetter: { maxReceiveCount: 5 } } },
    functions: {
      [fn]: {
        image: "worker",
        handler: "unused.mjs#handler",
        queue,
        service: "worker",
        batchSize: 1,
        maximumBatchingWindowSeconds: 0,
        maximumConcurrency: 2,
        timeoutSeconds: 60,
        memoryMb,
      },
    },
  });
  // Short visibility so the kept record comes back within seconds. One container, so one environment
  // (the second slot waits for one): a record never comes back while its invocation runs.
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `bluemoxon-local-${queue}`, Attributes: { VisibilityTimeout: "3" } }),
  );
  const triggers = await startTriggers({
    endpoint: backend!.endpoint,
    credentials: testCredentials,
    manifest,
    functions: [fn],
    // As compose's mapping restarts a timed-out container through the Docker socket (by its address
    // there; here, on the host network, by name).
    runtimeApi: { host: "127.0.0.1", port: 0, killEnvironment: () => void run("docker", ["restart", "-t", "0", name]) },
    timeoutMsOverride: options.timeoutMs,
    stopGraceMs: 1_000,
    log: createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) }),
  });
  running.push(triggers);
  const env = lambdaReservedEnv(
    { physicalName: `bluemoxon-local-${fn}`, region: "us-east-1", accountId: "000000000000", memoryMb },
    { handler, taskRoot: "/var/task", runtimeApi: triggers.runtimeApis()[fn] },
  );
  // compose.yaml's worker settings, with this function's memory.
  const args = ["run", "-d", "--name", name, "--network", "host", "--user", worker.user, "--restart", worker.restart];
  if (worker.read_only) args.push("--read-only");
  for (const t of worker.tmpfs) args.push("--tmpfs", t);
  args.push("--memory", `${memoryMb}m`, "--memory-swap", `${memoryMb}m`, "--cpus", (memoryMb / 1769).toFixed(2));
  args.push("-v", `${handlers}:/var/task:ro`);
  for (const [k, v] of Object.entries(env)) if (k !== "_HANDLER" && k !== "LAMBDA_TASK_ROOT") args.push("-e", `${k}=${v}`);
  const res = await run("docker", [...args, baseImage, handler], { timeoutMs: 60_000 });
  if (res.code !== 0) throw new Error(`docker run failed: ${res.stderr}`);
  containers.push(name);
  const stats = () => triggers.stats()[fn];
  return { fn, name, QueueUrl: QueueUrl!, stats };
}

const invocations = (fn: string) => lines.filter((l) => l.message?.toString().startsWith("invocation") && l.function === fn);

describe.skipIf(Boolean(skip))("Lambda's limits on the worker containers (compose.yaml's settings, real engine)", () => {
  beforeAll(() => {
    sqs = new SQSClient({ region: "us-east-1", endpoint: backend!.endpoint, credentials: testCredentials });
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((t) => t.stop()));
    if (containers.length) await run("docker", ["rm", "-f", ...containers.splice(0)], { timeoutMs: 60_000 });
  }, 120_000);
  afterAll(async () => {
    sqs?.destroy();
    await backend?.stop();
  });

  it("a handler that writes to /var/task fails (read-only, EROFS) and its record is kept", async () => {
    const m = await mappingWithContainer("writes-task-root.handler");
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: m.QueueUrl, MessageBody: "{}" }));
    const [first] = await until("the invocation", async () => (invocations(m.fn).length ? invocations(m.fn) : undefined), 120_000);
    expect(first).toMatchObject({ outcome: "error", kept: 1, keptMessageIds: [MessageId] });
    expect(String(first.error)).toMatch(/EROFS/);
    expect(m.stats().recordsDeleted).toBe(0);
  }, 180_000);

  it("a handler that outgrows its memory is killed by the limit; the crash keeps its record, which comes back and completes", async () => {
    const m = await mappingWithContainer("outgrows-memory.handler");
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: m.QueueUrl, MessageBody: "{}" }));
    await until("the record deleted after a redelivery", async () => (m.stats().recordsDeleted === 1 ? true : undefined), 170_000);
    const [crash, done] = invocations(m.fn);
    expect(crash).toMatchObject({ outcome: "crash", keptMessageIds: [MessageId] });
    expect(done).toMatchObject({ outcome: "success", deleted: 1 });
    expect(m.stats()).toMatchObject({ crashed: 1, succeeded: 1 });
    // The engine killed it (the memory cgroup) and its restart policy started the runtime again.
    const state = await run("docker", ["inspect", "-f", "{{.RestartCount}}", m.name]);
    expect(Number(state.stdout.trim())).toBeGreaterThanOrEqual(1);
    const queue = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: m.QueueUrl, AttributeNames: ["All"] }));
    expect(queue.Attributes?.ApproximateNumberOfMessages).toBe("0");
  }, 240_000);

  it("a handler past the timeout: the record is kept, the container restarted, the record completes in the new environment", async () => {
    const m = await mappingWithContainer("hangs.handler", { timeoutMs: 2_000 });
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: m.QueueUrl, MessageBody: "{}" }));
    await until("the record deleted after a redelivery", async () => (m.stats().recordsDeleted === 1 ? true : undefined), 170_000);
    const [timedOut, done] = invocations(m.fn);
    expect(timedOut).toMatchObject({ outcome: "timeout", keptMessageIds: [MessageId], error: "Task timed out after 2.00 seconds" });
    expect(done).toMatchObject({ outcome: "success", deleted: 1 });
    const state = await run("docker", ["inspect", "-f", "{{.RestartCount}} {{.State.StartedAt}} {{.Created}}", m.name]);
    const [, startedAt, created] = state.stdout.trim().split(" ");
    // Started again after it was created: the hung environment did not run on.
    expect(Date.parse(startedAt)).toBeGreaterThan(Date.parse(created));
  }, 240_000);
});
