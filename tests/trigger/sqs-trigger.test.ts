/**
 * The SQS trigger against a real SQS endpoint (the embedded emulator, or moto with TEST_AWS_BACKEND=moto),
 * with small handler modules in `handlers/` that write what they saw to a file. Each test
 * uses its own queue with a short visibility timeout so retries come back within seconds.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { createLogger, loadManifest, type Manifest, parseManifest } from "@bluemoxon/core";
import { startTriggers, type Triggers } from "@bluemoxon/event-source-mapping";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectorUrl } from "../../scripts/lib/inspector-url.ts";
import { type AwsBackend, startAwsBackend } from "../support/aws-backend.ts";
import { freePort } from "../support/free-port.ts";
import { until } from "../support/until.ts";
import type { InvocationRecord } from "./handlers/record-invocation.ts";

const handlersDir = fileURLToPath(new URL("./handlers/", import.meta.url));
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const baseManifest = loadManifest();
const out = mkdtempSync(join(tmpdir(), "trigger-test-"));
const started = await startAwsBackend();
const backend: AwsBackend | undefined = "skip" in started ? undefined : started;
if ("skip" in started) console.log(`trigger tests skipped: ${started.skip}`);
else console.log(`trigger tests run against ${started.kind} at ${started.endpoint}`);

let sqs: SQSClient;
const running: Triggers[] = [];
const logLines: Record<string, unknown>[] = [];

beforeAll(() => {
  if (backend) sqs = new SQSClient({ region: "us-east-1", endpoint: backend.endpoint, credentials });
});

afterAll(async () => {
  await Promise.all(running.map((t) => t.stop()));
  sqs?.destroy();
  await backend?.stop();
  rmSync(out, { recursive: true, force: true });
});

interface Setup {
  handler: string;
  batchSize?: number;
  windowSeconds?: number;
  concurrency?: number;
  maxReceiveCount?: number;
  visibilitySeconds?: number;
  timeoutMsOverride?: number;
  /** Debug the function's children: an inspector on this port (one slot, no timeout kill). */
  inspectPort?: number;
}

let counter = 0;

/**
 * Every queue's visibility timeout: longer than any invocation takes on a loaded machine (a cold
 * child compiling its handler with tsx can take many seconds at load 8), so a record never comes
 * back while its invocation still runs. The old 3 s made the tests flaky under load: records came
 * back mid-invocation and were counted twice (partial failure, crash accounting, invocations: 2).
 */
const SAFE_VISIBILITY_SECONDS = 30;

/** A queue + DLQ of its own, a manifest copy with one function on it, and the trigger running. */
async function setup(options: Setup) {
  counter++;
  const fn = `fn-${counter}-${process.pid}`;
  const queue = `tq-${counter}-${process.pid}`;
  const manifest: Manifest = parseManifest({
    ...baseManifest,
    queues: {
      ...baseManifest.queues,
      [queue]: { visibilityTimeoutSeconds: 720, deadLetter: { maxReceiveCount: options.maxReceiveCount ?? 5 } },
    },
    functions: {
      [fn]: {
        image: "worker",
        handler: "unused.ts#handler",
        queue,
        service: "worker",
        batchSize: options.batchSize ?? 1,
        maximumBatchingWindowSeconds: options.windowSeconds ?? 0,
        maximumConcurrency: options.concurrency ?? 2,
        timeoutSeconds: 30,
        memoryMb: 256,
      },
    },
  });
  const name = `bluemoxon-local-${queue}`;
  // The test creates the queues itself: the manifest's schema would not allow a 1-second visibility timeout.
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!
    .QueueArn!;
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        // Longer than an invocation on a loaded machine: no record comes back while its invocation runs.
        VisibilityTimeout: String(options.visibilitySeconds ?? SAFE_VISIBILITY_SECONDS),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount ?? 5 }),
      },
    }),
  );
  const queueUrl = created.QueueUrl!;
  const startTrigger = async () => {
    const triggers = await startTriggers({
      endpoint: backend!.endpoint,
      credentials,
      manifest,
      functions: [fn],
      handlers: { [fn]: `${handlersDir}${options.handler}` },
      functionEnv: { TRIGGER_TEST_OUT: out, CUSTOM_SETTING: "from-functionEnv" },
      timeoutMsOverride: options.timeoutMsOverride,
      ...(options.inspectPort ? { inspect: { function: fn, port: options.inspectPort } } : {}),
      stopGraceMs: 5_000,
      // The crash tests print expected stack traces; keep the test output readable.
      childStdio: "ignore",
      log: createLogger({ level: "debug", write: (line) => logLines.push(JSON.parse(line)) }),
    });
    running.push(triggers);
    return triggers;
  };
  const send = (bodies: string[], attributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Uint8Array }>) =>
    sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body, MessageAttributes: attributes })),
      }),
    );
  const invocations = (): InvocationRecord[] => {
    try {
      return readFileSync(join(out, `bluemoxon-local-${fn}.jsonl`), "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    } catch {
      return [];
    }
  };
  const depth = async (url = queueUrl) => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  };
  return { fn, queueUrl, dlqUrl: dlq.QueueUrl!, startTrigger, send, invocations, depth };
}

/** Waits on an event; the bound only guards against a hang, so it is generous (a loaded machine is slow, not wrong). */
const waitFor = <T>(what: string, probe: () => T | Promise<T>, timeoutMs = 150_000) => until(what, probe, timeoutMs, { everyMs: 100 });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const bodiesOf = (r: InvocationRecord) => r.event.Records.map((x) => x.body);

/**
 * The trigger's counters once no batch is running: the handler writes its record before it
 * returns, and the trigger counts the outcome after, so reading the stats at once can be early.
 */
async function settledStats(triggers: Triggers, fn: string) {
  await waitFor("the trigger to be idle", () => triggers.stats()[fn].running === 0);
  return triggers.stats()[fn];
}

describe.skipIf(!backend)("SQS trigger", () => {
  it("invokes the handler with Lambda's SQS event and context, in its own environment, then deletes the batch", async () => {
    process.env.TRIGGER_TEST_PARENT_ONLY = "must-not-leak";
    const t = await setup({ handler: "ok.ts#handler" });
    const triggers = await t.startTrigger();
    await t.send(['{"v":1}'], {
      kind: { DataType: "String", StringValue: "image" },
      raw: { DataType: "Binary", BinaryValue: Buffer.from([1, 2, 255]) },
    });
    const [inv] = await waitFor("one invocation", () => t.invocations().length === 1 && t.invocations());
    const [rec] = inv.event.Records;
    const { queueArn } = triggers.stats()[t.fn];
    expect(queueArn).toMatch(/^arn:aws:sqs:us-east-1:\d{12}:bluemoxon-local-tq-/);
    expect(rec).toMatchObject({
      body: '{"v":1}',
      eventSource: "aws:sqs",
      eventSourceARN: queueArn,
      awsRegion: "us-east-1",
      md5OfBody: createHash("md5").update('{"v":1}').digest("hex"),
      messageAttributes: {
        kind: { stringValue: "image", stringListValues: [], binaryListValues: [], dataType: "String" },
        raw: { binaryValue: "AQL/", stringListValues: [], binaryListValues: [], dataType: "Binary" },
      },
    });
    expect(rec.messageId).toMatch(/\S/);
    expect(rec.receiptHandle).toMatch(/\S/);
    expect(rec.attributes.ApproximateReceiveCount).toBe("1");
    for (const key of ["SentTimestamp", "ApproximateFirstReceiveTimestamp"] as const) expect(rec.attributes[key]).toMatch(/^\d{13}$/);
    expect(typeof rec.attributes.SenderId).toBe("string");
    expect(inv.context).toMatchObject({
      functionName: `bluemoxon-local-${t.fn}`,
      functionVersion: "$LATEST",
      memoryLimitInMB: "256",
      invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:bluemoxon-local-${t.fn}`,
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(inv.context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(inv.context.remainingMs).toBeGreaterThan(25_000);
    expect(inv.context.remainingMs).toBeLessThanOrEqual(30_000);
    expect(inv.env).toEqual({
      AWS_LAMBDA_FUNCTION_NAME: `bluemoxon-local-${t.fn}`,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "test",
      AWS_ENDPOINT_URL: backend!.endpoint,
      CUSTOM_SETTING: "from-functionEnv",
    });
    await waitFor("the queue to be empty", async () => (await t.depth()) === 0);
    expect(await settledStats(triggers, t.fn)).toMatchObject({ invocations: 1, succeeded: 1, recordsDeleted: 1, recordsKept: 0 });
    const logged = await waitFor("the invocation log line", () => logLines.find((l) => l.function === t.fn && l.message === "invocation"));
    expect(logged).toMatchObject({ batchSize: 1, outcome: "success", ms: expect.any(Number) });
    await triggers.stop();
  });

  it("fills batches up to batchSize and waits out the batching window for stragglers", async () => {
    const t = await setup({ handler: "ok.ts#handler", batchSize: 3, windowSeconds: 5, concurrency: 2, visibilitySeconds: 30 });
    await t.send(["a1", "a2", "a3", "a4", "a5", "a6", "a7"]);
    const triggers = await t.startTrigger();
    await waitFor("7 records", () => t.invocations().flatMap(bodiesOf).length === 7);
    const sizes = t.invocations().map((i) => i.event.Records.length);
    expect(Math.max(...sizes)).toBe(3);
    expect(t.invocations().flatMap(bodiesOf).sort()).toEqual(["a1", "a2", "a3", "a4", "a5", "a6", "a7"]);
    await waitFor("the queue to be empty", async () => (await t.depth()) === 0);

    // Two messages 600 ms apart land in one batch, because the window is 5 s (room for a stalled machine).
    const before = t.invocations().length;
    await t.send(["b1"]);
    await new Promise((r) => setTimeout(r, 600));
    await t.send(["b2"]);
    await waitFor("b1 and b2", () => t.invocations().flatMap(bodiesOf).includes("b2"));
    const late = t.invocations().slice(before);
    expect(late.map(bodiesOf)).toEqual([["b1", "b2"]]);
    const firstSeen = Number(late[0].event.Records[0].attributes.ApproximateFirstReceiveTimestamp);
    expect(late[0].start - firstSeen).toBeGreaterThanOrEqual(4_800);
    await triggers.stop();
  });

  it("runs at most maximumConcurrency batches at once, each slot on a reused warm child", async () => {
    const t = await setup({ handler: "slow.ts#handler", batchSize: 1, concurrency: 2 });
    await t.send(["c1", "c2", "c3", "c4", "c5", "c6"]);
    const triggers = await t.startTrigger();
    await waitFor("6 invocations", () => t.invocations().length === 6);
    const spans = t.invocations().map((i) => [i.start, i.end] as const);
    const overlapAt = (time: number) => spans.filter(([s, e]) => s <= time && time < e).length;
    const maxOverlap = Math.max(...spans.map(([s]) => overlapAt(s)));
    expect(maxOverlap).toBe(2);
    expect(new Set(t.invocations().map((i) => i.pid)).size).toBe(2);
    expect(await settledStats(triggers, t.fn)).toMatchObject({ maxRunning: 2, childrenStarted: 2, succeeded: 6 });
    await triggers.stop();
  });

  it("deletes the successes of a partial batch failure; the failed record returns and is redriven to the DLQ after maxReceiveCount", async () => {
    const t = await setup({
      handler: "partial-failure.ts#handler",
      batchSize: 3,
      windowSeconds: 1,
      maxReceiveCount: 2,
    });
    await t.send(["good-1", "bad-1", "good-2"]);
    const triggers = await t.startTrigger();
    const dead = await waitFor(
      "the failed record in the DLQ",
      async () =>
        (
          await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: t.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 300 }),
          )
        ).Messages,
    );
    expect(dead.map((m) => m.Body)).toEqual(["bad-1"]);
    const seen = t.invocations().flatMap(bodiesOf);
    expect(seen.filter((b) => b === "good-1")).toHaveLength(1);
    expect(seen.filter((b) => b === "good-2")).toHaveLength(1);
    // maxReceiveCount 2: delivered twice, moved to the DLQ on the third receive.
    expect(seen.filter((b) => b === "bad-1")).toHaveLength(2);
    expect(await settledStats(triggers, t.fn)).toMatchObject({ partial: 2, recordsDeleted: 2 });
    expect(await t.depth()).toBe(0);
    await triggers.stop();
  });

  it("keeps the whole batch when the handler throws, and succeeds on the retry", async () => {
    const t = await setup({ handler: "throws.ts#handler", batchSize: 2, windowSeconds: 1 });
    await t.send(["t1", "t2"]);
    const triggers = await t.startTrigger();
    await waitFor("the retry", () =>
      t.invocations().some((i) => i.event.Records.every((r) => r.attributes.ApproximateReceiveCount === "2")),
    );
    await waitFor("the queue to be empty", async () => (await t.depth()) === 0);
    const firstTry = t.invocations().filter((i) => i.event.Records.some((r) => r.attributes.ApproximateReceiveCount === "1"));
    expect(firstTry.flatMap(bodiesOf).sort()).toEqual(["t1", "t2"]);
    expect(await settledStats(triggers, t.fn)).toMatchObject({ failed: firstTry.length, recordsDeleted: 2, crashed: 0 });
    const failure = logLines.find((l) => l.function === t.fn && l.outcome === "error");
    expect(failure?.error).toContain("handler failed on purpose");
    await triggers.stop();
  });

  it("treats process.exit and an uncaught exception as failed batches, replaces the child and keeps going", async () => {
    const t = await setup({ handler: "exits.ts#handler", batchSize: 1, concurrency: 2 });
    await t.send(["exit", "uncaught"]);
    const triggers = await t.startTrigger();
    await waitFor(
      "both retried",
      () => t.invocations().filter((i) => i.event.Records[0].attributes.ApproximateReceiveCount === "2").length === 2,
    );
    await waitFor("the queue to be empty", async () => (await t.depth()) === 0);
    const crashedPids = t
      .invocations()
      .filter((i) => i.event.Records[0].attributes.ApproximateReceiveCount === "1")
      .map((i) => i.pid);
    const retryPids = t
      .invocations()
      .filter((i) => i.event.Records[0].attributes.ApproximateReceiveCount === "2")
      .map((i) => i.pid);
    for (const pid of crashedPids) {
      expect(alive(pid)).toBe(false);
      expect(retryPids).not.toContain(pid);
    }
    expect(await settledStats(triggers, t.fn)).toMatchObject({ crashed: 2, succeeded: 2, recordsDeleted: 2 });
    expect((await settledStats(triggers, t.fn)).childrenStarted).toBeGreaterThanOrEqual(3);
    await triggers.stop();
    for (const pid of retryPids) expect(alive(pid)).toBe(false);
  });

  it("kills a handler that runs past the timeout and retries its batch", async () => {
    const t = await setup({ handler: "hangs.ts#handler", batchSize: 1, timeoutMsOverride: 1_000 });
    await t.send(["h1"]);
    const triggers = await t.startTrigger();
    await waitFor("the retry", () => t.invocations().some((i) => i.event.Records[0].attributes.ApproximateReceiveCount === "2"));
    await waitFor("the queue to be empty", async () => (await t.depth()) === 0);
    const hung = t.invocations().find((i) => i.event.Records[0].attributes.ApproximateReceiveCount === "1")!;
    expect(alive(hung.pid)).toBe(false);
    expect(await settledStats(triggers, t.fn)).toMatchObject({ timedOut: 1, succeeded: 1, recordsDeleted: 1 });
    const timeoutLog = logLines.find((l) => l.function === t.fn && l.outcome === "timeout");
    expect(timeoutLog?.error).toMatch(/timed out after 1\.00 seconds/);
    expect(Number(timeoutLog?.ms)).toBeGreaterThanOrEqual(1_000);
    await triggers.stop();
  });

  it("with inspect: the child starts before any record with an inspector on the port, runs one slot, and is not killed at the timeout", async () => {
    const port = await freePort();
    // 700 ms handlers against a 100 ms timeout: each would be killed, were the function not being debugged.
    const t = await setup({ handler: "slow.ts#handler", batchSize: 1, concurrency: 2, timeoutMsOverride: 100, inspectPort: port });
    const triggers = await t.startTrigger();
    const [debugged] = await waitFor(
      "the debugged child, before any record",
      () => triggers.childPids()[t.fn]?.length === 1 && triggers.childPids()[t.fn],
    );
    expect(await inspectorUrl(port)).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${port}/`));
    await t.send(["d1", "d2", "d3"]);
    await waitFor("3 invocations", () => t.invocations().length === 3);
    expect(t.invocations().map((i) => i.pid)).toEqual([debugged, debugged, debugged]);
    expect(await settledStats(triggers, t.fn)).toMatchObject({ timedOut: 0, succeeded: 3, maxRunning: 1, childrenStarted: 1 });
    await triggers.stop();
  });
});
