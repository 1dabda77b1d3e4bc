/** Import through the HTTP API against real PostgreSQL, the AWS backend and the eBay fixture. */
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { parseImageJobMessage } from "@bluemoxon/core";
import { describe, expect } from "vitest";
import { type ApiHarness, apiTest as it } from "./support/api-harness.ts";
import { nextItemId, writeListing } from "./support/write-listing.ts";

async function importListing(h: ApiHarness, id: string) {
  const res = await h.call("/api/v1/books/import/ebay", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: `https://www.ebay.com/itm/some-book-title/${id}?hash=item1` }),
  });
  return { status: res.status, body: await res.json() };
}

async function drainQueue(h: ApiHarness) {
  const url = h.provisioned.queues["image-processing"].url;
  const out = await h.aws.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
  return (out.Messages ?? []).map((m) => parseImageJobMessage(m.Body!));
}

describe("POST /api/v1/books/import/ebay", () => {
  it("creates the book, copies every photo, queues the primary photo and answers 201", async ({ h }) => {
    const id = nextItemId();
    writeListing(h.listingsDir, id, ["front.jpg", "spine.jpg", "back.jpg"]);
    const { status, body } = await importListing(h, id);
    expect(status).toBe(201);
    expect(body.created).toBe(true);
    expect(body.book).toMatchObject({
      sourceItemId: id,
      author: "Test Author",
      publicationYear: "1901",
      price: { value: "120.00", currency: "USD" },
    });
    expect(body.book.photos.map((p: { copyStatus: string }) => p.copyStatus)).toEqual(["copied", "copied", "copied"]);
    expect(body.book.photos[0].isPrimary).toBe(true);
    expect(body.job).toMatchObject({ status: "queued", imageId: body.book.photos[0].id, bookId: body.book.id, sendAttempts: 1 });

    // The copy in the bucket is byte-identical to the fixture's photo, via the presigned URL.
    const original = await fetch(body.book.photos[0].originalUrl);
    expect(original.status).toBe(200);
    const fixturePhoto = await fetch(`${h.ebay.url}/images/${id}/front.jpg`);
    expect(Buffer.from(await original.arrayBuffer()).equals(Buffer.from(await fixturePhoto.arrayBuffer()))).toBe(true);

    const messages = await drainQueue(h);
    expect(messages).toContainEqual(expect.objectContaining({ jobId: body.job.id, imageId: body.book.photos[0].id, bookId: body.book.id }));
    expect(messages.find((m) => m.jobId === body.job.id)!.sourceKey).toMatch(/^books\/.+\/original\.jpg$/);

    // Reads: the book, its job, the job list filtered by status, the book list.
    const detail = await (await h.call(`/api/v1/books/${body.book.id}`)).json();
    expect(detail.photos[0].processing).toMatchObject({ jobId: body.job.id, status: "queued" });
    const job = await (await h.call(`/api/v1/image-jobs/${body.job.id}`)).json();
    expect(job).toMatchObject({ id: body.job.id, status: "queued", attempts: 0, lastError: null });
    const queued = await (await h.call("/api/v1/image-jobs?status=queued&limit=100")).json();
    expect(queued.items.map((j: { id: string }) => j.id)).toContain(body.job.id);
    const books = await (await h.call("/api/v1/books?limit=100")).json();
    expect(books.items.map((b: { id: string }) => b.id)).toContain(body.book.id);
  });

  it("lists each book with its photos, their latest job and cut-out URL, as the book's own detail shows them", async ({ h }) => {
    const a = nextItemId();
    const b = nextItemId();
    writeListing(h.listingsDir, a, ["front.jpg", "spine.jpg"]);
    writeListing(h.listingsDir, b, ["only.jpg", "missing-back.jpg"]);
    const first = await importListing(h, a);
    const second = await importListing(h, b);
    // The worker is not running here: mark the first book's primary photo done, as the worker would.
    const doneKey = `books/${first.body.book.id}/processed-list-test.png`;
    await h.db.sql`UPDATE book_images SET processed_key = ${doneKey} WHERE id = ${first.body.book.photos[0].id}`;
    await h.db.sql`UPDATE image_jobs SET status = 'completed', completed_at = now() WHERE id = ${first.body.job.id}`;

    const page = await (await h.call("/api/v1/books?limit=100")).json();
    // Presigned URLs carry their signing time; compare where they point.
    const where = (url: string | null) => (url ? new URL(url).pathname : null);
    const comparable = (book: { photos: { originalUrl: string | null; processedUrl: string | null }[] }) => ({
      ...book,
      photos: book.photos.map((p) => ({ ...p, originalUrl: where(p.originalUrl), processedUrl: where(p.processedUrl) })),
    });
    for (const id of [first.body.book.id, second.body.book.id]) {
      const listed = page.items.find((x: { id: string }) => x.id === id);
      const detail = await (await h.call(`/api/v1/books/${id}`)).json();
      expect(comparable(listed)).toEqual(comparable(detail));
    }
    const listedA = page.items.find((x: { id: string }) => x.id === first.body.book.id);
    expect(listedA.photos.map((p: { processing: { status: string } | null }) => p.processing?.status ?? null)).toEqual(["completed", null]);
    expect(where(listedA.photos[0].processedUrl)).toMatch(/processed-list-test\.png$/);
    expect(listedA.photos[1].processedUrl).toBeNull();
    const listedB = page.items.find((x: { id: string }) => x.id === second.body.book.id);
    expect(listedB.photos.map((p: { copyStatus: string }) => p.copyStatus)).toEqual(["copied", "failed"]);
    expect(listedB.photos[0].processing).toMatchObject({ status: "queued", jobId: second.body.job.id });

    // The OpenAPI document describes the photos on the list.
    const doc = await (await fetch(`${h.api.url}/openapi.json`)).json();
    expect(doc.components.schemas.BookPage.properties.items.items).toEqual({ $ref: "#/components/schemas/BookDetail" });
  });

  it("returns the existing book with 200 on a second import of the same listing, queueing nothing new", async ({ h }) => {
    const id = nextItemId();
    writeListing(h.listingsDir, id, ["a.jpg", "b.jpg"]);
    const [first, second] = await Promise.all([importListing(h, id), importListing(h, id)]);
    const statuses = [first.status, second.status].sort();
    // Two concurrent imports: one creates, the other sees the same book.
    expect(statuses).toEqual([200, 201]);
    expect(first.body.book.id).toBe(second.body.book.id);
    const third = await importListing(h, id);
    expect(third.status).toBe(200);
    expect(third.body.created).toBe(false);
    expect(third.body.book.photos).toHaveLength(2);
    const [{ count }] = await h.db.sql`SELECT count(*)::int AS count FROM books WHERE source_item_id = ${id}`;
    expect(count).toBe(1);
    const [{ jobs }] = await h.db.sql`
      SELECT count(*)::int AS jobs FROM image_jobs j JOIN book_images i ON i.id = j.image_id JOIN books b ON b.id = i.book_id WHERE b.source_item_id = ${id}`;
    expect(jobs).toBe(1);
  });

  it("a re-import repairs a book whose job was recorded without its primary flag (connection lost between the two)", async ({ h }) => {
    const id = nextItemId();
    writeListing(h.listingsDir, id, ["a.jpg", "b.jpg"]);
    const first = await importListing(h, id);
    expect(first.status).toBe(201);
    const jobId = first.body.job.id;
    await h.db.sql`UPDATE book_images SET is_primary = false WHERE book_id = ${first.body.book.id}`;
    const again = await importListing(h, id);
    expect(again.status).toBe(200);
    expect(again.body.job.id).toBe(jobId);
    const primaries = again.body.book.photos.filter((p: { isPrimary: boolean }) => p.isPrimary);
    expect(primaries.map((p: { id: string }) => p.id)).toEqual([first.body.book.photos[0].id]);
  });

  it("queues the second photo when the primary photo is a 404", async ({ h }) => {
    const id = nextItemId();
    writeListing(h.listingsDir, id, ["missing-front.jpg", "second.jpg", "third.jpg"]);
    const { status, body } = await importListing(h, id);
    expect(status).toBe(201);
    const [p0, p1] = body.book.photos;
    expect(p0).toMatchObject({ copyStatus: "failed", isPrimary: false, originalUrl: null });
    expect(p0.copyError).toMatch(/^http_status: HTTP 404/);
    expect(p1).toMatchObject({ copyStatus: "copied", isPrimary: true });
    expect(body.job.imageId).toBe(p1.id);
  });

  it("records queue_failed when SQS refuses the send, then the retry sweep queues it", async ({ h }) => {
    const id = nextItemId();
    writeListing(h.listingsDir, id, ["only.jpg"]);
    h.aws.failNext("sqs", "SendMessage");
    const { status, body } = await importListing(h, id);
    expect(status).toBe(201);
    expect(body.job.status).toBe("queue_failed");
    expect(body.job.lastError).toMatch(/send failed/);

    const sweep = await h.call("/api/v1/admin/image-jobs/retry", { method: "POST" });
    expect(sweep.status).toBe(200);
    expect((await sweep.json()).requeued).toBeGreaterThanOrEqual(1);
    const job = await (await h.call(`/api/v1/image-jobs/${body.job.id}`)).json();
    expect(job).toMatchObject({ status: "queued", sendAttempts: 2, lastError: null });
    expect((await drainQueue(h)).map((m) => m.jobId)).toContain(body.job.id);
  });

  it("queues any copied photo on demand and refuses a second active job", async ({ h }) => {
    const id = nextItemId();
    writeListing(h.listingsDir, id, ["p1.jpg", "p2.jpg"]);
    const { body } = await importListing(h, id);
    const second = body.book.photos[1];
    const res = await h.call(`/api/v1/books/${body.book.id}/images/${second.id}/process`, { method: "POST" });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ imageId: second.id, status: "queued" });
    const again = await h.call(`/api/v1/books/${body.book.id}/images/${second.id}/process`, { method: "POST" });
    expect(again.status).toBe(409);
    expect(again.headers.get("content-type")).toMatch(/application\/problem\+json/);
  });

  it("answers 404 problem+json for a listing eBay does not have, and 400 for a URL that is not eBay's", async ({ h }) => {
    const missing = await importListing(h, "123456789012");
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 404, title: "Not Found" });
    const res = await h.call("/api/v1/books/import/ebay", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: "https://www.amazon.com/dp/0141439602" }),
    });
    expect(res.status).toBe(400);
  });

  it("asks eBay for one OAuth token and reuses it until it expires", async ({ h }) => {
    expect(h.ebay.stats.itemRequests).toBeGreaterThan(3);
    expect(h.ebay.stats.tokenRequests).toBe(1);
  });
});
