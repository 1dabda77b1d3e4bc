/**
 * The defects of issue 24, each reproduced against the real database and the emulator (faults
 * injected in the emulator, the SDK's retries on): each test failed on the code before the
 * lifecycle module.
 */
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBookDetail } from "../../services/api/src/books/load-book-detail.ts";
import { importEbayListing, redriveDeadLetters, runRetrySweep } from "../../services/api/src/index.ts";
import { queueImageProcessing } from "../../services/api/src/jobs/queue-image-processing.ts";
import { markDeadLettered, processJob } from "../../services/worker/src/process-job.ts";
import { nextItemId, writeListing } from "../api/support/write-listing.ts";
import { testDatabaseServer } from "../support/test-database.ts";
import { type LifecycleWorld, startLifecycleWorld } from "./support/lifecycle-world.ts";

const { skipReason } = testDatabaseServer();
let w: LifecycleWorld;
beforeAll(async () => {
  if (!skipReason) w = await startLifecycleWorld();
});
afterAll(() => w?.close());

const later = (seconds: number) => new Date(Date.now() + seconds * 1000);
const listingUrl = (id: string) => `https://www.ebay.com/itm/${id}`;

async function drain(url: string) {
  const bodies: string[] = [];
  for (;;) {
    const out = await w.api().aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!out.Messages?.length) return bodies;
    bodies.push(...out.Messages.map((m) => m.Body!));
  }
}
const queue = () => w.provisioned.queues["image-processing"]!;
async function jobRow(id: string) {
  const [row] = await w.db.sql`SELECT status, attempts, send_attempts, last_error FROM image_jobs WHERE id = ${id}`;
  return row;
}
async function bodyOf(jobId: string) {
  const [row] = await w.db.sql`
    SELECT i.book_id, i.id AS image_id, i.s3_key FROM image_jobs j JOIN book_images i ON i.id = j.image_id WHERE j.id = ${jobId}`;
  return JSON.stringify({ v: 1, jobId, bookId: row!.book_id, imageId: row!.image_id, sourceKey: row!.s3_key });
}

describe.skipIf(Boolean(skipReason))("issue 24's defects", () => {
  it("a photo survives one burst of throttling: 3 SlowDown on PutObject (past the SDK's retries) → retryable; the re-import copies it and the cut-out is made", async () => {
    await drain(queue().url);
    const id = nextItemId();
    writeListing(w.listingsDir, id, ["only.jpg"]);
    w.emulator.faults.add({
      service: "s3",
      operation: "PutObject",
      count: 3,
      error: { code: "SlowDown", status: 503, message: "Please reduce your request rate." },
    });
    const first = await importEbayListing(w.api(), listingUrl(id));
    expect(first.created).toBe(true);
    expect(first.book.photos[0]).toMatchObject({ copyStatus: "retryable", copyAttempts: 1, canProcess: false });
    expect(first.book.photos[0]!.copyError).toMatch(/SlowDown|reduce your request rate/);
    expect(first.job).toBeNull();
    // Once the throttling is over and the backoff has passed, a re-import finishes the copy and queues it.
    const again = await importEbayListing(w.api(later(11)), listingUrl(id));
    expect(again.created).toBe(false);
    expect(again.book.photos[0]).toMatchObject({ copyStatus: "copied", copyAttempts: 2 });
    expect(again.job).toMatchObject({ status: "queued" });
    const worked = await w.workOne();
    expect(worked?.result).toMatchObject({ outcome: "completed" });
    const book = await loadBookDetail(w.api(), first.book.id);
    expect(book!.photos[0]).toMatchObject({ processedUrl: expect.any(String), canProcess: true });
  });

  it("the retry sweep retries a retryable copy by itself and queues the book's job", async () => {
    await drain(queue().url);
    const id = nextItemId();
    writeListing(w.listingsDir, id, ["a.jpg"]);
    w.emulator.faults.add({ service: "s3", operation: "PutObject", count: 3, error: { code: "SlowDown", status: 503 } });
    const first = await importEbayListing(w.api(), listingUrl(id));
    expect(first.book.photos[0]!.copyStatus).toBe("retryable");
    expect(await runRetrySweep(w.api(later(11)))).toMatchObject({ copiesRetried: 1, copiesCopied: 1 });
    const book = await loadBookDetail(w.api(), first.book.id);
    expect(book!.photos[0]).toMatchObject({ copyStatus: "copied", processing: { status: "queued" } });
    expect((await w.workOne())?.result).toMatchObject({ outcome: "completed" });
  });

  it("two identical imports at once download every photo once and never flip a copied photo to failed", async () => {
    const id = nextItemId();
    writeListing(w.listingsDir, id, ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]);
    // Every upload is slow (and counted): the loser finds the winner's photos mid-copy.
    const fault = w.emulator.faults.add({ service: "s3", operation: "PutObject", latencyMs: 150, keyPrefix: "books/" });
    try {
      const [a, b] = await Promise.all([importEbayListing(w.api(), listingUrl(id)), importEbayListing(w.api(), listingUrl(id))]);
      expect([a.created, b.created].sort()).toEqual([false, true]);
      const puts = w.emulator.faults.report().injections.filter((i) => i.faultId === fault).length;
      expect(puts).toBe(4);
      const [{ statuses }] = await w.db.sql`
        SELECT array_agg(i.copy_status ORDER BY i.position) AS statuses FROM book_images i JOIN books k ON k.id = i.book_id WHERE k.source_item_id = ${id}`;
      expect(statuses).toEqual(["copied", "copied", "copied", "copied"]);
      const [{ jobs }] = await w.db.sql`
        SELECT count(*)::int AS jobs FROM image_jobs j JOIN book_images i ON i.id = j.image_id JOIN books k ON k.id = i.book_id WHERE k.source_item_id = ${id}`;
      expect(jobs).toBe(1);
    } finally {
      w.emulator.faults.remove(fault);
    }
  });

  it("the sweep does not re-send a job dead-lettered while the worker did not know maxReceiveCount: it marks it failed", async () => {
    await drain(queue().url);
    await drain(queue().dlqUrl);
    const id = nextItemId();
    writeListing(w.listingsDir, id, ["a.jpg"]);
    const { job } = await importEbayListing(w.api(), listingUrl(id));
    // Five receives that each crash before the PNG, the worker never told maxReceiveCount; the sixth receive moves it to the DLQ.
    for (let i = 0; i < 5; i++) expect((await w.workOne({ crash: "before-png" }))?.error).toBeDefined();
    expect(await w.workOne()).toBeUndefined();
    expect((await jobRow(job!.id)).status).toBe("processing");
    const sweep = await runRetrySweep(w.api(later(700)));
    expect(sweep).toMatchObject({ requeued: 0, deadLettered: 1 });
    expect(await jobRow(job!.id)).toMatchObject({ status: "failed", last_error: expect.stringMatching(/^dead-lettered/) });
    expect(await drain(queue().url)).toEqual([]);
    // Nothing is re-sent after dead-lettering, however often the sweep runs.
    expect(await runRetrySweep(w.api(later(100_000)))).toMatchObject({ requeued: 0 });
    expect(await drain(queue().url)).toEqual([]);
  });

  it("one superseded dead-lettered job does not block the redrive: its stale message is deleted and counted, the others move", async () => {
    await drain(queue().url);
    await drain(queue().dlqUrl);
    const [x, y] = [nextItemId(), nextItemId()];
    writeListing(w.listingsDir, x, ["a.jpg"]);
    writeListing(w.listingsDir, y, ["a.jpg"]);
    const jx = (await importEbayListing(w.api(), listingUrl(x))).job!;
    const jy = (await importEbayListing(w.api(), listingUrl(y))).job!;
    await drain(queue().url);
    // Both dead-lettered; the photo of x was processed again since (a newer active job).
    for (const j of [jx, jy]) {
      await w.db.sql`UPDATE image_jobs SET status = 'failed', last_error = 'dead-lettered after 5 receives: boom' WHERE id = ${j.id}`;
      await w.api().aws.sqs.send(new SendMessageCommand({ QueueUrl: queue().dlqUrl, MessageBody: await bodyOf(j.id) }));
    }
    const newer = await queueImageProcessing(w.api(), { imageId: jx.imageId });
    expect(newer).toBeDefined();
    const result = await redriveDeadLetters(w.api(), { max: 10 });
    expect(result).toMatchObject({ moved: 1, jobsReset: 1, superseded: 1 });
    expect((await jobRow(jx.id)).status).toBe("failed");
    expect((await jobRow(jy.id)).status).toBe("queued");
    expect(await drain(queue().dlqUrl)).toEqual([]);
  });

  it("the redrive never resets a job a worker is running; its DLQ copy stays", async () => {
    await drain(queue().url);
    await drain(queue().dlqUrl);
    const id = nextItemId();
    writeListing(w.listingsDir, id, ["a.jpg"]);
    const { job } = await importEbayListing(w.api(), listingUrl(id));
    await drain(queue().url);
    await w.db
      .sql`UPDATE image_jobs SET status = 'processing', attempts = attempts + 1, started_at = now(), updated_at = now() WHERE id = ${job!.id}`;
    await w.api().aws.sqs.send(new SendMessageCommand({ QueueUrl: queue().dlqUrl, MessageBody: await bodyOf(job!.id) }));
    const result = await redriveDeadLetters(w.api(), { max: 10 });
    expect(result).toMatchObject({ moved: 0, jobsReset: 0, inFlight: 1 });
    expect((await jobRow(job!.id)).status).toBe("processing");
    expect(await drain(queue().url)).toEqual([]);
  });

  it("marking a not-started record dead-lettered never fails a job another copy of the message is completing", async () => {
    await drain(queue().url);
    const id = nextItemId();
    writeListing(w.listingsDir, id, ["a.jpg"]);
    const { job } = await importEbayListing(w.api(), listingUrl(id));
    const body = await bodyOf(job!.id);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const inRemover = new Promise<void>((r) => {
      entered = r;
    });
    const remover = {
      remove: async () => {
        entered();
        await gate;
        return { png: Buffer.from("png"), width: 1, height: 1 };
      },
    };
    const run = processJob(body, { ...w.worker, remover });
    await inRemover;
    // A second copy of the message reaches its last receive in an invocation out of time: not started.
    expect(await markDeadLettered(w.db.sql, body, "dead-lettered after 5 receives: not started")).toBe(false);
    release();
    expect(await run).toMatchObject({ outcome: "completed" });
    expect((await jobRow(job!.id)).status).toBe("completed");
  });

  it("the API says a queue_failed job's photo cannot be processed (the dashboard enables Reprocess from canProcess)", async () => {
    const id = nextItemId();
    writeListing(w.listingsDir, id, ["a.jpg"]);
    w.emulator.faults.add({ service: "sqs", operation: "SendMessage", count: 3, error: { code: "InternalError", status: 500 } });
    const { book, job } = await importEbayListing(w.api(), listingUrl(id));
    expect(job).toMatchObject({ status: "queue_failed" });
    expect(book.photos[0]).toMatchObject({ canProcess: false, processing: { status: "queue_failed", active: true } });
    await expect(queueImageProcessing(w.api(), { imageId: book.photos[0]!.id })).resolves.toBeUndefined();
  });
});
