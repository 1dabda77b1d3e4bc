/**
 * How `processJob` claims, completes and gives up on a job, against a real PostgreSQL with an S3
 * and a remover that stand in (the model is not the subject here): a message that overtakes its
 * job row, the version check of every transition, the dead-letter limit, what the worker trusts.
 */
import { randomUUID } from "node:crypto";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serializeImageJobMessage, TransientJobError } from "../../packages/core/src/index.ts";
import { JobNotReadyError } from "../../services/worker/src/errors.ts";
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
});
