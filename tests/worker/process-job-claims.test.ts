/**
 * How `processJob` claims, completes and gives up on a job, against a real PostgreSQL with an S3
 * and a remover that stand in (the model is not the subject here): a message that overtakes its
 * job row, the version check of every transition, the dead-letter limit, what the worker trusts.
 */
import { randomUUID } from "node:crypto";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PermanentJobError, serializeImageJobMessage, TransientJobError } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobNotReadyError, ProcessingTimeoutError } from "../../services/worker/src/errors.ts";
import { type JobLog, type ProcessJobDeps, processJob } from "../../services/worker/src/process-job.ts";
import { createTestDatabase, type TestDatabase, testDatabaseServer } from "../support/test-database.ts";
import { jobRow, seedJob } from "./support/seed-job.ts";

const { skipReason } = testDatabaseServer();

/** An S3 that serves every key and records what was read and written. */
function recordingS3() {
  const reads: string[] = [];
  const writes: string[] = [];
  let failReads = 0;
  const s3 = {
    async send(command: unknown) {
      if (command instanceof GetObjectCommand) {
        reads.push(command.input.Key!);
        if (failReads > 0) {
          failReads--;
          throw Object.assign(new Error("injected"), { name: "InternalError", $metadata: { httpStatusCode: 500 } });
        }
        const bytes = Buffer.from(`photo at ${command.input.Key}`);
        return {
          ContentLength: bytes.length,
          Body: (async function* () {
            yield bytes;
          })(),
        };
      }
      if (command instanceof PutObjectCommand) writes.push(command.input.Key!);
      return {};
    },
  } as unknown as S3Client;
  return { s3, reads, writes, failNextRead: () => void failReads++ };
}

/** Captures log lines so a lost race can be shown to be reported. */
function recordingLog() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const log: JobLog = {
    info: (message, fields) => lines.push({ level: "info", message, fields }),
    warn: (message, fields) => lines.push({ level: "warn", message, fields }),
    error: (message, fields) => lines.push({ level: "error", message, fields }),
  };
  return { lines, logFor: () => log };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe.skipIf(Boolean(skipReason))("processJob's claims and transitions", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
  });
  afterAll(async () => {
    await db?.drop();
  });

  function depsWith(extra: Partial<ProcessJobDeps> = {}) {
    const store = recordingS3();
    const deps: ProcessJobDeps = {
      sql: db.sql,
      s3: store.s3,
      bucket: "test",
      remover: { remove: async () => ({ png: Buffer.from("png"), width: 1, height: 1 }) },
      ...extra,
    };
    return { deps, store };
  }

  it("completes a job whose message arrived before the API recorded the send (the row still pending)", async () => {
    const job = await seedJob(db.sql, {} as S3Client, "test", null);
    await db.sql`UPDATE image_jobs SET status = 'pending', queued_at = NULL WHERE id = ${job.jobId}`;
    const { deps } = depsWith();
    expect(await processJob(job.body, deps)).toMatchObject({ outcome: "completed" });
    expect(await jobRow(db.sql, job.jobId)).toMatchObject({ status: "completed", attempts: 1 });
  });

  it("completes a job whose send was recorded as failed although the message went out (queue_failed)", async () => {
    const job = await seedJob(db.sql, {} as S3Client, "test", null);
    await db.sql`UPDATE image_jobs SET status = 'queue_failed', last_error = 'send failed: timeout' WHERE id = ${job.jobId}`;
    const { deps } = depsWith();
    expect(await processJob(job.body, deps)).toMatchObject({ outcome: "completed" });
    expect(await jobRow(db.sql, job.jobId)).toMatchObject({ status: "completed", last_error: null });
  });

  it("answers a message whose job row is not there yet with a not-ready error asking for a short delay", async () => {
    const job = await seedJob(db.sql, {} as S3Client, "test", null);
    const body = serializeImageJobMessage({ ...JSON.parse(job.body), jobId: randomUUID() });
    const { deps } = depsWith();
    const error = await rejection(processJob(body, deps));
    expect(error).toBeInstanceOf(JobNotReadyError);
    expect(error).toBeInstanceOf(TransientJobError);
    expect((error as JobNotReadyError).retryAfterSeconds).toBeGreaterThan(0);
    expect((error as JobNotReadyError).retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it("lets only the latest claim complete a job: a slow worker overtaken by a redelivery logs the lost race and writes nothing", async () => {
    const job = await seedJob(db.sql, {} as S3Client, "test", null);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const inRemover = new Promise<void>((r) => {
      entered = r;
    });
    const slowLog = recordingLog();
    const slow = depsWith({
      logFor: slowLog.logFor,
      remover: {
        remove: async () => {
          entered();
          await gate;
          return { png: Buffer.from("slow"), width: 1, height: 1 };
        },
      },
    });
    const slowRun = processJob(job.body, slow.deps);
    await inRemover;
    // The message came back (visibility timeout) while the first worker was still busy.
    const fast = depsWith();
    expect(await processJob(job.body, fast.deps)).toMatchObject({ outcome: "completed" });
    expect(await jobRow(db.sql, job.jobId)).toMatchObject({ status: "completed", attempts: 2 });
    release();
    expect(await slowRun).toMatchObject({ outcome: "superseded", jobId: job.jobId });
    expect(slowLog.lines).toContainEqual(expect.objectContaining({ level: "warn", message: expect.stringMatching(/lost the race/) }));
    // The row is the fast worker's: still completed by attempt 2.
    expect(await jobRow(db.sql, job.jobId)).toMatchObject({ status: "completed", attempts: 2, last_error: null });
  });

  it("does not let an overtaken worker fail a job the newer claim is still working on", async () => {
    const job = await seedJob(db.sql, {} as S3Client, "test", null);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const inRemover = new Promise<void>((r) => {
      entered = r;
    });
    const slow = depsWith({
      remover: {
        remove: async () => {
          entered();
          await gate;
          throw new PermanentJobError("the slow worker thinks the photo is bad");
        },
      },
    });
    const slowRun = processJob(job.body, slow.deps);
    await inRemover;
    // A second claim (a redelivery) bumps the version while the first is inside the remover.
    await db.sql`UPDATE image_jobs SET attempts = attempts + 1, version = version + 1 WHERE id = ${job.jobId}`;
    release();
    expect(await slowRun).toMatchObject({ outcome: "superseded" });
    expect(await jobRow(db.sql, job.jobId)).toMatchObject({ status: "processing", attempts: 2, last_error: null });
  });

  it("fails the job as dead-lettered on a transient failure at the last receive, and still rejects so SQS moves the message", async () => {
    const job = await seedJob(db.sql, {} as S3Client, "test", null);
    const { deps, store } = depsWith();
    store.failNextRead();
    // Not the last receive yet: the job stays processing for the redelivery.
    expect(await rejection(processJob(job.body, deps, { receiveCount: 4, maxReceiveCount: 5 }))).toBeInstanceOf(TransientJobError);
    expect(await jobRow(db.sql, job.jobId)).toMatchObject({ status: "processing" });
    store.failNextRead();
    expect(await rejection(processJob(job.body, deps, { receiveCount: 5, maxReceiveCount: 5 }))).toBeInstanceOf(TransientJobError);
    const row = await jobRow(db.sql, job.jobId);
    expect(row.status).toBe("failed");
    expect(row.last_error).toMatch(/^dead-lettered after 5 receives: .*injected/);
  });

  it("takes the source key and the book from the database, not from the message", async () => {
    const job = await seedJob(db.sql, {} as S3Client, "test", null);
    const other = await seedJob(db.sql, {} as S3Client, "test", null);
    // A message naming this job but another book's photo and book (forged, or written by a bug).
    const forged = serializeImageJobMessage({ ...JSON.parse(job.body), bookId: other.bookId, sourceKey: other.sourceKey });
    const log = recordingLog();
    const { deps, store } = depsWith({ logFor: log.logFor });
    expect(await processJob(forged, deps)).toMatchObject({
      outcome: "completed",
      processedKey: `books/${job.bookId}/images/${job.imageId}/processed.png`,
    });
    expect(store.reads).toEqual([job.sourceKey]);
    expect(store.writes).toEqual([`books/${job.bookId}/images/${job.imageId}/processed.png`]);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: "warn", message: expect.stringMatching(/message disagrees/) }));
  });

  it("gives background removal a deadline: a photo that never finishes fails the record transiently, the job keeps the reason", async () => {
    const job = await seedJob(db.sql, {} as S3Client, "test", null);
    const { deps } = depsWith({ remover: { remove: () => new Promise(() => {}) }, processTimeoutMs: 200 });
    const error = await rejection(processJob(job.body, deps));
    expect(error).toBeInstanceOf(ProcessingTimeoutError);
    expect(error).toBeInstanceOf(TransientJobError);
    const row = await jobRow(db.sql, job.jobId);
    expect(row.status).toBe("processing");
    expect(row.last_error).toMatch(/took longer than 200 ms/);
  });
});
