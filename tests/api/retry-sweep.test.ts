/** The retry sweep's rules (backoff, staleness, attempt limit, batch bound, no double sends) and the DLQ redrive. */
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { type JobStatus, parseImageJobMessage } from "@bluemoxon/core";
import { describe, expect } from "vitest";
import { type ApiDeps, redriveDeadLetters, runRetrySweep } from "../../services/api/src/index.ts";
import { sendImageJob } from "../../services/api/src/jobs/queue-image-processing.ts";
import { type Delivery, processJob } from "../../services/worker/src/process-job.ts";
import { type ApiHarness, apiTest as it } from "./support/api-harness.ts";

const t0 = new Date("2026-11-29T08:00:00Z");
let item = 0;

/** A book with one copied photo and a job in the given state, last touched at `updatedAt`. */
async function seedJob(h: ApiHarness, status: JobStatus, sendAttempts: number, updatedAt = t0): Promise<string> {
  const sql = h.db.sql;
  const [book] =
    await sql`INSERT INTO books (source, source_item_id, title) VALUES ('ebay', ${`sweep-${++item}`}, 'Sweep book') RETURNING id`;
  const [image] = await sql`
    INSERT INTO book_images (book_id, position, source_url, copy_status, s3_key, is_primary)
    VALUES (${book.id}, 0, 'http://x/1.jpg', 'copied', ${`books/${book.id}/images/00000000-0000-4000-8000-000000000000/original.jpg`}, true)
    RETURNING id`;
  const [job] = await sql`
    INSERT INTO image_jobs (image_id, status, send_attempts, created_at, updated_at)
    VALUES (${image.id}, ${status}, ${sendAttempts}, ${updatedAt}, ${updatedAt}) RETURNING id`;
  return job.id;
}

async function jobRow(h: ApiHarness, id: string) {
  const [row] = await h.db.sql`SELECT status, send_attempts, last_error, updated_at FROM image_jobs WHERE id = ${id}`;
  return row;
}

function depsAt(h: ApiHarness, now: Date, config: Partial<ApiDeps["config"]> = {}): ApiDeps {
  const base = h.api.deps;
  return {
    ...base,
    clock: { now: () => now },
    config: {
      ...base.config,
      RETRY_BACKOFF_SECONDS: 10,
      RETRY_BACKOFF_MAX_SECONDS: 900,
      JOB_STALE_SECONDS: 600,
      JOB_MAX_SEND_ATTEMPTS: 5,
      ...config,
    },
  };
}

const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

describe("runRetrySweep", () => {
  it("waits for the backoff of a queue_failed job (10 s × 2^(attempts−1)) before re-sending it", async ({ h }) => {
    await h.db.sql`DELETE FROM books`;
    const id = await seedJob(h, "queue_failed", 3); // backoff 40 s
    expect(await runRetrySweep(depsAt(h, at(39)))).toMatchObject({ examined: 0 });
    expect((await jobRow(h, id)).status).toBe("queue_failed");
    expect(await runRetrySweep(depsAt(h, at(41)))).toMatchObject({ examined: 1, requeued: 1 });
    expect(await jobRow(h, id)).toMatchObject({ status: "queued", send_attempts: 4, last_error: null });
  });

  it("never re-sends a queued/processing job while its message may still be queued or in flight; once past the queue's retention, it does", async ({
    h,
  }) => {
    await h.db.sql`DELETE FROM books`;
    const staleQueued = await seedJob(h, "queued", 8, at(0));
    const staleProcessing = await seedJob(h, "processing", 1, at(0));
    const stalePending = await seedJob(h, "pending", 0, at(0));
    const done = await seedJob(h, "completed", 1, at(0));
    const failed = await seedJob(h, "failed", 1, at(0));
    // A backlog wait is not a failed send: eight sends and long past JOB_STALE_SECONDS, still queued, not given up.
    expect(await runRetrySweep(depsAt(h, at(700)))).toMatchObject({ examined: 1, requeued: 1, gaveUp: 0 });
    expect(await jobRow(h, staleQueued)).toMatchObject({ status: "queued", send_attempts: 8, last_error: null });
    expect(await jobRow(h, staleProcessing)).toMatchObject({ status: "processing", send_attempts: 1 });
    // A pending job was never sent (the API lost between creating and sending it): sent now.
    expect(await jobRow(h, stalePending)).toMatchObject({ status: "queued", send_attempts: 1 });
    // The emulator's queue keeps a message 4 days (SQS's default): after that, nothing is left of it.
    const retention = 4 * 24 * 3600;
    expect(await runRetrySweep(depsAt(h, at(retention + 650)))).toMatchObject({ examined: 2, requeued: 2 });
    expect(await jobRow(h, staleQueued)).toMatchObject({ status: "queued", send_attempts: 9 });
    expect(await jobRow(h, staleProcessing)).toMatchObject({ status: "processing", send_attempts: 2 });
    expect((await jobRow(h, done)).status).toBe("completed");
    expect((await jobRow(h, failed)).status).toBe("failed");
  });

  it("marks a job failed once it has used up its send attempts", async ({ h }) => {
    await h.db.sql`DELETE FROM books`;
    const id = await seedJob(h, "queue_failed", 5);
    expect(await runRetrySweep(depsAt(h, at(10_000)))).toMatchObject({ gaveUp: 1, requeued: 0 });
    expect(await jobRow(h, id)).toMatchObject({
      status: "failed",
      last_error: expect.stringMatching(/gave up after 5 failed send attempts/),
    });
  });

  it("takes a bounded batch, and two concurrent sweeps never send the same job twice", async ({ h }) => {
    await h.db.sql`DELETE FROM books`;
    const ids = await Promise.all([1, 2, 3, 4, 5].map(() => seedJob(h, "queue_failed", 1)));
    expect(await runRetrySweep(depsAt(h, at(100)), { limit: 2 })).toMatchObject({ examined: 2, requeued: 2 });
    const [a, b] = await Promise.all([runRetrySweep(depsAt(h, at(100))), runRetrySweep(depsAt(h, at(100)))]);
    expect(a.requeued + b.requeued).toBe(3);
    const rows = await Promise.all(ids.map((id) => jobRow(h, id)));
    expect(rows.map((r) => [r.status, r.send_attempts])).toEqual(ids.map(() => ["queued", 2]));
  });

  it("leaves a job queue_failed with the error when the send fails again", async ({ h }) => {
    await h.db.sql`DELETE FROM books`;
    const id = await seedJob(h, "queue_failed", 1);
    h.aws.failNext("sqs", "SendMessage");
    expect(await runRetrySweep(depsAt(h, at(100)))).toMatchObject({ stillFailing: 1 });
    expect(await jobRow(h, id)).toMatchObject({
      status: "queue_failed",
      send_attempts: 2,
      last_error: expect.stringMatching(/send failed/),
    });
  });
});

/**
 * Runs the worker on a seeded job until it is inside background removal, and holds it there
 * (a slow or lost worker) until `release()`; `worker` is its outcome.
 */
async function startBlockedWorker(h: ApiHarness, id: string, delivery?: Delivery) {
  const [row] = await h.db
    .sql`SELECT i.book_id, i.id AS image_id, i.s3_key FROM image_jobs j JOIN book_images i ON i.id = j.image_id WHERE j.id = ${id}`;
  const body = JSON.stringify({ v: 1, jobId: id, bookId: row.book_id, imageId: row.image_id, sourceKey: row.s3_key });
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let entered!: () => void;
  const inRemover = new Promise<void>((r) => {
    entered = r;
  });
  const s3 = {
    async send(command: unknown) {
      if (command instanceof GetObjectCommand)
        return {
          ContentLength: 4,
          Body: (async function* () {
            yield Buffer.from("jpeg");
          })(),
        };
      return {};
    },
  } as unknown as S3Client;
  const remove = async () => {
    entered();
    await gate;
    return { png: Buffer.from("png"), width: 1, height: 1 };
  };
  const worker = processJob(body, { sql: h.db.sql, s3, bucket: "test", remover: { remove } }, delivery);
  await inRemover;
  return { worker, release };
}

describe("the sweep racing a slow worker", () => {
  it("does not re-send a slow worker's job (its message is in flight; SQS redelivers it if the worker is lost); the completion lands", async ({
    h,
  }) => {
    await h.db.sql`DELETE FROM books`;
    const id = await seedJob(h, "queued", 1, at(0));
    const { worker, release } = await startBlockedWorker(h, id);
    // The worker has been at it for longer than JOB_STALE_SECONDS.
    await h.db.sql`UPDATE image_jobs SET updated_at = ${at(0)} WHERE id = ${id}`;
    expect(await runRetrySweep(depsAt(h, at(700)))).toMatchObject({ examined: 0, requeued: 0 });
    expect(await jobRow(h, id)).toMatchObject({ status: "processing", send_attempts: 1 });
    release();
    expect(await worker).toMatchObject({ outcome: "completed" });
    const [done] = await h.db
      .sql`SELECT j.status, j.attempts, i.processed_key FROM image_jobs j JOIN book_images i ON i.id = j.image_id WHERE j.id = ${id}`;
    expect(done).toMatchObject({ status: "completed", attempts: 1, processed_key: expect.stringMatching(/processed\.png$/) });
  });
});

describe("a worker lost at its message's last delivery", () => {
  it("is marked dead-lettered by the sweep, not re-sent (its message is in the DLQ); the lost worker's late completion changes nothing", async ({
    h,
  }) => {
    await h.db.sql`DELETE FROM books`;
    const id = await seedJob(h, "queued", 1, at(0));
    // The fifth delivery of a queue whose redrive policy allows five: SQS moves the message to
    // the DLQ after this one, whatever becomes of the worker (here it hangs, as a killed one would).
    const { worker, release } = await startBlockedWorker(h, id, { receiveCount: 5, maxReceiveCount: 5 });
    await h.db.sql`UPDATE image_jobs SET updated_at = ${at(0)} WHERE id = ${id}`;
    expect(await runRetrySweep(depsAt(h, at(700)))).toMatchObject({ examined: 1, requeued: 0, deadLettered: 1 });
    expect(await jobRow(h, id)).toMatchObject({
      status: "failed",
      send_attempts: 1,
      last_error: expect.stringMatching(/^dead-lettered after its last receive: /),
    });
    // A later sweep leaves it alone: nothing re-sends a job whose message is in the DLQ.
    expect(await runRetrySweep(depsAt(h, at(2_000)))).toMatchObject({ examined: 0 });
    release();
    expect(await worker).toMatchObject({ outcome: "superseded" });
    expect((await jobRow(h, id)).status).toBe("failed");
  });
});

describe("recording a send the worker overtook", () => {
  it("counts the send but leaves the worker's state alone", async ({ h }) => {
    await h.db.sql`DELETE FROM books`;
    const id = await seedJob(h, "pending", 0);
    const [row] = await h.db
      .sql`SELECT i.book_id, i.id AS image_id, i.s3_key FROM image_jobs j JOIN book_images i ON i.id = j.image_id WHERE j.id = ${id}`;
    // The worker got the message and claimed the job before the API recorded the send.
    const send = sendImageJob(
      {
        ...h.api.deps,
        aws: {
          ...h.api.deps.aws,
          sqs: {
            send: async () => {
              await h.db.sql`UPDATE image_jobs SET status = 'processing', attempts = 1 WHERE id = ${id}`;
              return {};
            },
          } as never,
        },
      },
      { id, book_id: row.book_id, image_id: row.image_id, s3_key: row.s3_key },
      { jobId: id, status: "pending", version: 0 },
    );
    expect(await send).toBe(true);
    expect(await jobRow(h, id)).toMatchObject({ status: "processing", send_attempts: 1 });
  });
});

describe("the server's sweep interval", () => {
  it("re-sends a queue_failed job without anyone asking", async ({ h }) => {
    await h.db.sql`DELETE FROM books`;
    const id = await seedJob(h, "queue_failed", 1, new Date(Date.now() - 60_000));
    const api = await h.startApi({ RETRY_SWEEP_INTERVAL_SECONDS: "1" });
    try {
      const deadline = Date.now() + 10_000;
      while ((await jobRow(h, id)).status !== "queued" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect((await jobRow(h, id)).status).toBe("queued");
    } finally {
      await api.close();
    }
  });
});

describe("POST /api/v1/admin/image-jobs/redrive", () => {
  it("moves dead-lettered messages back to the queue and resets their jobs", async ({ h }) => {
    await h.db.sql`DELETE FROM books`;
    const q = h.provisioned.queues["image-processing"];
    const sqs = h.aws.clients.sqs;
    // Empty the main queue of earlier tests' messages so the redriven one is easy to find.
    while (
      ((await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }))).Messages ?? [])
        .length > 0
    );
    const id = await seedJob(h, "failed", 2);
    await h.db.sql`UPDATE image_jobs SET attempts = 5, last_error = 'dead-lettered' WHERE id = ${id}`;
    const [row] = await h.db
      .sql`SELECT i.book_id, i.id AS image_id, i.s3_key FROM image_jobs j JOIN book_images i ON i.id = j.image_id WHERE j.id = ${id}`;
    const body = JSON.stringify({ v: 1, jobId: id, bookId: row.book_id, imageId: row.image_id, sourceKey: row.s3_key });
    await sqs.send(new SendMessageCommand({ QueueUrl: q.dlqUrl, MessageBody: body }));
    await sqs.send(new SendMessageCommand({ QueueUrl: q.dlqUrl, MessageBody: "not a job" }));

    const res = await h.call("/api/v1/admin/image-jobs/redrive?max=10", { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ moved: 1, jobsReset: 1, duplicates: 0, superseded: 0, inFlight: 0, invalid: 1 });
    expect(await jobRow(h, id)).toMatchObject({ status: "queued", last_error: null });
    // attempts is the job's version: a redrive keeps it, so a worker of an earlier round can never match it again.
    const [{ attempts }] = await h.db.sql`SELECT attempts FROM image_jobs WHERE id = ${id}`;
    expect(attempts).toBe(5);
    const moved = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    expect((moved.Messages ?? []).map((m) => parseImageJobMessage(m.Body!).jobId)).toEqual([id]);
    // Direct call: nothing left to move (the invalid message is invisible for a while, not deleted).
    expect(await redriveDeadLetters(h.api.deps)).toMatchObject({ moved: 0 });
  });
});

describe("a dead-lettered job", () => {
  it("is never re-sent by the sweep, and a redrive re-sends each job once however many copies the DLQ holds", async ({ h }) => {
    await h.db.sql`DELETE FROM books`;
    const q = h.provisioned.queues["image-processing"];
    const sqs = h.aws.clients.sqs;
    const drain = async (url: string) => {
      const bodies: string[] = [];
      for (;;) {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
        if (!out.Messages?.length) return bodies;
        bodies.push(...out.Messages.map((m) => m.Body!));
      }
    };
    await drain(q.url);
    const ids = [await seedJob(h, "failed", 1, at(0)), await seedJob(h, "failed", 1, at(0))];
    await h.db.sql`UPDATE image_jobs SET attempts = 5, last_error = 'dead-lettered after 5 receives: boom' WHERE id IN ${h.db.sql(ids)}`;
    expect(await runRetrySweep(depsAt(h, at(100_000)))).toMatchObject({ examined: 0 });

    const bodyOf = async (id: string) => {
      const [row] = await h.db
        .sql`SELECT i.book_id, i.id AS image_id, i.s3_key FROM image_jobs j JOIN book_images i ON i.id = j.image_id WHERE j.id = ${id}`;
      return JSON.stringify({ v: 1, jobId: id, bookId: row.book_id, imageId: row.image_id, sourceKey: row.s3_key });
    };
    // Three copies of the first job (an old sweep re-sent it), one of the second.
    for (const id of [ids[0], ids[0], ids[1], ids[0]])
      await sqs.send(new SendMessageCommand({ QueueUrl: q.dlqUrl, MessageBody: await bodyOf(id) }));
    expect(await redriveDeadLetters(h.api.deps, { max: 10 })).toEqual({
      moved: 2,
      jobsReset: 2,
      duplicates: 2,
      superseded: 0,
      inFlight: 0,
      invalid: 0,
    });
    const sent = (await drain(q.url)).map((b) => parseImageJobMessage(b).jobId).sort();
    expect(sent).toEqual([...ids].sort());
    expect(await drain(q.dlqUrl)).toEqual([]);
  });
});
