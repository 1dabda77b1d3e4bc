/**
 * processJob against a real PostgreSQL, an S3 endpoint (emulator or moto) and the real model:
 * success, duplicate delivery, every bad input of issue 5, and a transient S3 error.
 */
import { createServer, type Server } from "node:http";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { InvalidMessageError, TransientJobError } from "@bluemoxon/core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackgroundRemover, createBackgroundRemover, type ProcessJobDeps, processJob } from "../../services/worker/src/index.ts";
import { type AwsBackend, startAwsBackend } from "../support/aws-backend.ts";
import { createTestDatabase, type TestDatabase, testDatabaseServer } from "../support/test-database.ts";
import { badPhotos } from "./bad-photos.ts";
import { alphaOf, bookScene, encodeScene, maskIoU } from "./book-scene.ts";
import { jobRow, seedJob } from "./support/seed-job.ts";

const bucket = "bluemoxon-test-images";
const { skipReason } = testDatabaseServer();
if (skipReason) console.log(`[worker] process-job tests skip: ${skipReason}`);

describe.skipIf(Boolean(skipReason))("processJob", () => {
  let db: TestDatabase;
  let store: AwsBackend;
  let remover: BackgroundRemover;
  let puts = 0;
  let removals = 0;
  let deps: ProcessJobDeps;

  beforeAll(async () => {
    const started = await startAwsBackend();
    if ("skip" in started) throw new Error(`no S3 endpoint for the worker tests: ${started.skip}`);
    store = started;
    console.log(`[worker] process-job tests use ${store.kind} for S3`);
    await store.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    db = await createTestDatabase({ migrate: true });
    remover = await createBackgroundRemover();
    // Count writes and inferences so duplicate delivery can be shown to do neither.
    const s3 = {
      send: (command: Parameters<S3Client["send"]>[0]) => {
        if (command instanceof PutObjectCommand) puts++;
        return store.clients.s3.send(command as GetObjectCommand);
      },
    } as unknown as S3Client;
    deps = {
      sql: db.sql,
      s3,
      bucket,
      remover: {
        remove: (bytes, options) => {
          removals++;
          return remover.remove(bytes, options);
        },
      },
    };
  });
  afterAll(async () => {
    await remover?.release();
    await db?.drop();
    await store?.stop();
  });

  it("turns a queued job into a processed PNG and a completed job; a duplicate delivery does nothing", async () => {
    const scene = await bookScene({ width: 400, height: 300, background: "white", seed: 2 });
    const job = await seedJob(db.sql, store.clients.s3, bucket, await encodeScene(scene));
    const result = await processJob(job.body, deps);
    expect(result).toMatchObject({ outcome: "completed", width: 400, height: 300 });
    const key = `books/${job.bookId}/images/${job.imageId}/processed.png`;
    expect(await jobRow(db.sql, job.jobId)).toMatchObject({ status: "completed", attempts: 1, last_error: null, processed_key: key });
    const object = await store.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(object.ContentType).toBe("image/png");
    const png = Buffer.from(await object.Body!.transformToByteArray());
    expect(await sharp(png).metadata()).toMatchObject({ format: "png", channels: 4, width: 400, height: 300 });
    expect(maskIoU((await alphaOf(png)).alpha, scene.mask)).toBeGreaterThanOrEqual(0.9);

    const before = { puts, removals };
    expect(await processJob(job.body, deps)).toEqual({ outcome: "duplicate", jobId: job.jobId, status: "completed" });
    expect({ puts, removals }).toEqual(before);
    expect((await jobRow(db.sql, job.jobId)).attempts).toBe(1);
  });

  it("ends every bad input as completed or failed-with-reason, never a rejection (no retry loop), and fetches nothing for SVG", async () => {
    let fetched = 0;
    const server: Server = createServer((_req, res) => {
      fetched++;
      res.end("x");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const target = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      for (const photo of await badPhotos(target)) {
        const job = await seedJob(db.sql, store.clients.s3, bucket, photo.bytes);
        const result = await processJob(job.body, deps);
        const row = await jobRow(db.sql, job.jobId);
        expect({ name: photo.name, outcome: result.outcome, status: row.status }).toEqual({
          name: photo.name,
          outcome: photo.expected,
          status: photo.expected,
        });
        if (photo.reason) expect(row.last_error, photo.name).toMatch(photo.reason);
        if (photo.expected === "completed") expect(row.processed_key, photo.name).toMatch(/processed\.png$/);
        // Redelivery of a finished job is a no-op success, so SQS stops delivering it.
        expect((await processJob(job.body, deps)).outcome, photo.name).toBe("duplicate");
      }
    } finally {
      server.close();
    }
    expect(fetched).toBe(0);
  });

  it("rejects a photo over MAX_SOURCE_BYTES and a missing source object as permanent failures", async () => {
    const big = await seedJob(db.sql, store.clients.s3, bucket, Buffer.alloc(2048, 1));
    expect(await processJob(big.body, { ...deps, maxSourceBytes: 1024 })).toMatchObject({ outcome: "failed" });
    expect((await jobRow(db.sql, big.jobId)).last_error).toMatch(/2048 bytes, over the limit of 1024/);

    const missing = await seedJob(db.sql, store.clients.s3, bucket, null);
    expect(await processJob(missing.body, deps)).toMatchObject({ outcome: "failed" });
    expect((await jobRow(db.sql, missing.jobId)).last_error).toMatch(/does not exist/);
  });

  it("keeps the job processing with last_error on a transient S3 error, then succeeds on redelivery", async () => {
    const scene = await bookScene({ width: 320, height: 320, background: "cloth", seed: 9 });
    const job = await seedJob(db.sql, store.clients.s3, bucket, await encodeScene(scene));
    store.failNext("s3", "GetObject");
    const first = await processJob(job.body, deps).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(first).toBeInstanceOf(TransientJobError);
    expect(await jobRow(db.sql, job.jobId)).toMatchObject({ status: "processing", attempts: 1, processed_key: null });
    expect((await jobRow(db.sql, job.jobId)).last_error).toMatch(/injected|InternalError/);

    expect(await processJob(job.body, deps)).toMatchObject({ outcome: "completed" });
    expect(await jobRow(db.sql, job.jobId)).toMatchObject({ status: "completed", attempts: 2, last_error: null });
  });

  it("rejects an invalid message body so it ends in the DLQ instead of being dropped", async () => {
    await expect(processJob('{"v":1,"jobId":"nope"}', deps)).rejects.toBeInstanceOf(InvalidMessageError);
    await expect(processJob("not json", deps)).rejects.toThrow(/not JSON/);
  });
});
