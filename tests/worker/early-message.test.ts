/**
 * A message that overtakes its job row, through the poller (sqs-consumer, as compose runs it)
 * against the embedded emulator with pipeline.json's 720 s visibility timeout. The job row's
 * insert is held in an open transaction while the message is already in the queue; the worker
 * must hand the message back for a few seconds (ChangeMessageVisibility) and complete the job
 * soon after the commit — not after the visibility timeout.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { createAwsClients, loadManifest, originalKey, serializeImageJobMessage } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackgroundRemover } from "../../services/worker/src/background/background-remover.ts";
import { startPoller } from "../../services/worker/src/poller.ts";
import { createTestDatabase, type TestDatabase, testDatabaseServer } from "../support/test-database.ts";
import { until } from "../support/until.ts";
import { jobRow } from "./support/seed-job.ts";

const emulatorEntry = new URL("../../services/emulator/src/index.ts", import.meta.url);
const skip = testDatabaseServer().skipReason ?? (existsSync(emulatorEntry) ? null : "the emulator is not there yet");
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

describe.skipIf(Boolean(skip))("a message that overtakes its job row", () => {
  let db: TestDatabase;
  // biome-ignore lint/suspicious/noExplicitAny: the emulator module is loaded dynamically
  let emulator: any;
  beforeAll(async () => {
    const { startEmulator } = await import(emulatorEntry.href);
    emulator = await startEmulator({ port: 0, manifest: loadManifest(), environment: "local" });
    db = await createTestDatabase({ migrate: true });
  });
  afterAll(async () => {
    await emulator?.close();
    await db?.drop();
  });

  it("comes back within seconds and completes the job once the row commits", async () => {
    const bucket = "bluemoxon-local-images";
    const queue = emulator.resources.queues["image-processing"];
    const aws = createAwsClients({ region: "us-east-1", endpoint: emulator.url, credentials, maxAttempts: 1 });
    // Count the worker's ChangeMessageVisibility calls: the event the test waits on.
    let deferrals = 0;
    aws.sqs.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === "ChangeMessageVisibilityCommand") deferrals++;
        return out;
      },
      { step: "initialize", name: "countDeferrals" },
    );
    const [book] = await db.sql<{ id: string }[]>`
      INSERT INTO books (source, source_item_id, title) VALUES ('ebay', ${randomUUID()}, 'Early bird') RETURNING id`;
    const imageId = randomUUID();
    const sourceKey = originalKey(book.id, imageId, "image/jpeg");
    await db.sql`
      INSERT INTO book_images (id, book_id, position, source_url, copy_status, s3_key, is_primary)
      VALUES (${imageId}, ${book.id}, 0, 'https://i.ebayimg.test/x.jpg', 'copied', ${sourceKey}, true)`;
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: sourceKey, Body: Buffer.from("jpeg"), ContentType: "image/jpeg" }));

    const jobId = randomUUID();
    const tx = await db.sql.reserve();
    const remover = { model: "small", remove: async () => ({ png: Buffer.from("png"), width: 1, height: 1 }), release: async () => {} };
    const poller = await startPoller({
      env: {
        PIPELINE_ENV: "local",
        IMAGE_BUCKET: bucket,
        IMAGE_QUEUE_URL: queue.url,
        DATABASE_URL: db.url,
        LOG_LEVEL: "error",
      },
      aws,
      remover: remover as unknown as BackgroundRemover,
      drainMs: 5_000,
    });
    try {
      await tx`BEGIN`;
      await tx`INSERT INTO image_jobs (id, image_id, status) VALUES (${jobId}, ${imageId}, 'pending')`;
      const body = serializeImageJobMessage({ v: 1, jobId, bookId: book.id, imageId, sourceKey });
      await aws.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
      // Well under the 720 s visibility timeout: the worker saw no row and handed the message back.
      await until("the worker to hand the early message back", () => deferrals >= 1, 120_000);
      await tx`COMMIT`;
      const committed = Date.now();
      await until("the job to complete", async () => (await jobRow(db.sql, jobId)).status === "completed", 120_000);
      console.log(
        `[early-message] completed ${((Date.now() - committed) / 1000).toFixed(1)} s after the commit (visibility timeout 720 s)`,
      );
      expect(await jobRow(db.sql, jobId)).toMatchObject({ status: "completed", attempts: 1 });
    } finally {
      tx.release();
      await poller.stop();
      aws.destroy();
    }
  }, 300_000);
});
