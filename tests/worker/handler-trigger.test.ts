/**
 * The Lambda handler end to end under the embedded emulator's SQS trigger (a child process running
 * `node --import tsx`, env from the trigger): one batch holding a good photo, a bad photo, an
 * invalid message and a photo whose first S3 read fails. Expected: partial batch failure — the
 * good and bad photos finish at once, the transient one succeeds on redelivery, the invalid
 * message goes to the DLQ after maxReceiveCount.
 */
import { existsSync } from "node:fs";
import { S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { loadManifest, type Manifest, parseManifest } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testDatabaseServer } from "../support/test-database.ts";
import { until } from "../support/until.ts";
import { bookScene, encodeScene } from "./book-scene.ts";
import { jobRow, seedJob } from "./support/seed-job.ts";

const emulatorEntry = new URL("../../services/emulator/src/index.ts", import.meta.url);
const triggerEntry = new URL("../../packages/event-source-mapping/src/index.ts", import.meta.url);
const skip =
  testDatabaseServer().skipReason ?? (existsSync(emulatorEntry) && existsSync(triggerEntry) ? null : "the emulator is not there yet");
if (skip) console.log(`[worker] handler trigger test skips: ${skip}`);

const credentials = { accessKeyId: "test", secretAccessKey: "test" };

/**
 * pipeline.json with test-sized settings: the four records in one batch (batch 4, 2 s window), 2
 * receives before the DLQ. The visibility timeout (120 s) only has to outlast one warm invocation
 * on a loaded machine; a record returning early would be counted twice.
 */
function testManifest(): Manifest {
  const raw = structuredClone(loadManifest()) as Manifest;
  raw.functions["image-worker"].batchSize = 4;
  raw.functions["image-worker"].maximumBatchingWindowSeconds = 2;
  raw.queues["image-processing"].visibilityTimeoutSeconds = 120;
  raw.queues["image-processing"].deadLetter.maxReceiveCount = 2;
  raw.functions["image-worker"].timeoutSeconds = 5;
  raw.functions["image-worker"].maximumConcurrency = 2;
  return parseManifest(raw);
}

describe.skipIf(Boolean(skip))("handler under the emulator's SQS trigger", () => {
  let db: TestDatabase;
  // biome-ignore lint/suspicious/noExplicitAny: the emulator module is loaded dynamically
  let emulator: any;
  let triggers: {
    stop(): Promise<void>;
    stats(): Record<string, { partial: number; failed: number; recordsKept: number; childrenStarted: number }>;
  };
  let s3: S3Client;
  let sqs: SQSClient;

  beforeAll(async () => {
    const manifest = testManifest();
    const { startEmulator } = await import(emulatorEntry.href);
    const { startTriggers } = await import(triggerEntry.href);
    emulator = await startEmulator({ port: 0, manifest, environment: "local" });
    db = await createTestDatabase({ migrate: true });
    s3 = new S3Client({ region: "us-east-1", endpoint: emulator.url, credentials, forcePathStyle: true });
    sqs = new SQSClient({ region: "us-east-1", endpoint: emulator.url, credentials });
    triggers = await startTriggers({
      endpoint: emulator.url,
      manifest,
      functions: ["image-worker"],
      waitTimeSeconds: 1,
      initTimeoutMs: 180_000,
      timeoutMsOverride: 240_000,
      childStdio: "ignore",
      functionEnv: {
        PIPELINE_ENV: "local",
        IMAGE_BUCKET: "bluemoxon-local-images",
        DATABASE_URL: db.url,
        AWS_ENDPOINT_URL: emulator.url,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        // The SDK's own retries would hide the injected fault from the handler.
        AWS_MAX_ATTEMPTS: "1",
        LOG_LEVEL: "WARN",
        MALLOC_MMAP_THRESHOLD_: "131072",
      },
    });
  });
  afterAll(async () => {
    await triggers?.stop();
    s3?.destroy();
    sqs?.destroy();
    await emulator?.close();
    await db?.drop();
  });

  it("reports a partial batch failure; good and bad photos finish once, transient retries, invalid goes to the DLQ", async () => {
    const bucket = "bluemoxon-local-images";
    const scene = await bookScene({ width: 320, height: 240, background: "wood", seed: 31 });
    const good = await seedJob(db.sql, s3, bucket, await encodeScene(scene));
    const html = await seedJob(db.sql, s3, bucket, Buffer.from("<!DOCTYPE html><html>Not Found</html>"));
    const flaky = await seedJob(db.sql, s3, bucket, await encodeScene(scene, "png"));
    const { queues } = emulator.resources;
    const queue = queues["image-processing"];
    // Warm the handler first (model loaded): an idle trigger always hands the next batch to its
    // first free slot, so the batch below runs on this warm child and no cold start eats its visibility.
    const warm = await seedJob(db.sql, s3, bucket, await encodeScene(scene));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: [{ Id: "warm", MessageBody: warm.body }] }));
    await until("the warm-up job", async () => ((await jobRow(db.sql, warm.jobId)).status === "completed" ? true : undefined), 400_000, {
      everyMs: 500,
      bail: () => (triggers.stats()["image-worker"].failed > 0 ? "the handler invocation failed (see the trigger's log)" : undefined),
    });
    // The first S3 read of the batch fails (whichever photo it is): one record is kept and redelivered.
    emulator.faults.add({
      service: "s3",
      operation: "GetObject",
      count: 1,
      error: { code: "InternalError", status: 500, message: "injected" },
    });
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: [
          { Id: "good", MessageBody: good.body },
          { Id: "html", MessageBody: html.body },
          { Id: "invalid", MessageBody: JSON.stringify({ v: 1, jobId: "not-a-uuid" }) },
          { Id: "flaky", MessageBody: flaky.body },
        ],
      }),
    );

    const rows = await until(
      "the photo jobs to finish",
      async () => {
        const r = await Promise.all([good, html, flaky].map((j) => jobRow(db.sql, j.jobId)));
        return r.every((row) => row.status === "completed" || row.status === "failed") ? r : undefined;
      },
      // The transient record returns after the visibility timeout.
      600_000,
      // A handler that throws (e.g. failed init) is never right here; stop waiting at once.
      {
        everyMs: 500,
        bail: () => (triggers.stats()["image-worker"].failed > 0 ? "the handler invocation failed (see the trigger's log)" : undefined),
      },
    );
    expect(rows.map((r) => r.status)).toEqual(["completed", "failed", "completed"]);
    expect(rows[1].last_error).toMatch(/HTML/);
    expect(rows[1].attempts).toBe(1);
    // Exactly one of the two good photos met the fault and was processed twice.
    expect([rows[0].attempts, rows[2].attempts].sort()).toEqual([1, 2]);

    const dlq = await until(
      "the invalid message in the DLQ",
      async () => {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        return out.Messages?.length ? out.Messages : undefined;
      },
      // Its second receive comes a visibility timeout after the first, the move on the third.
      600_000,
    );
    expect(dlq.map((m) => JSON.parse(m.Body ?? "{}").jobId)).toEqual(["not-a-uuid"]);
    const stats = triggers.stats()["image-worker"];
    expect(stats.partial).toBeGreaterThanOrEqual(1);
    expect(stats.failed).toBe(0);
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["ApproximateNumberOfMessages"] }));
    expect(attrs.Attributes?.ApproximateNumberOfMessages).toBe("0");
  }, 1_500_000);
});
