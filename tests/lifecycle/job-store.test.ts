/** The lifecycle module's statements on their own, against a real PostgreSQL. */
import { claimJob, completeJob, createJob, failJob, markDeadLettered, migrate, recordSend, resetForRedrive } from "@bluemoxon/core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testDatabaseServer } from "../support/test-database.ts";

const { skipReason } = testDatabaseServer();
describe.skipIf(Boolean(skipReason))("image-jobs job store", () => {
  let db: TestDatabase;
  let generic: ReturnType<typeof postgres>;
  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate(db.sql);
    // Every prepared statement on a generic plan at once, as PostgreSQL does by itself after five runs.
    generic = postgres(db.url, { max: 1, onnotice: () => {}, connection: { plan_cache_mode: "force_generic_plan" } });
  });
  afterAll(async () => {
    await generic?.end({ timeout: 1 });
    await db?.drop();
  });

  async function copiedPhoto(sql = db.sql): Promise<{ bookId: string; imageId: string }> {
    const [book] = await sql`INSERT INTO books (source, source_item_id, title) VALUES ('ebay', ${crypto.randomUUID()}, 't') RETURNING id`;
    const [image] = await sql`
      INSERT INTO book_images (book_id, position, source_url, copy_status, s3_key) VALUES (${book!.id}, 0, 'http://x/1.jpg', 'copied', 'k.jpg') RETURNING id`;
    return { bookId: book!.id, imageId: image!.id };
  }

  it("creates jobs on a generic plan too (the one-active index is matched by literals, not parameters)", async () => {
    for (let i = 0; i < 8; i++) {
      const { imageId } = await copiedPhoto(generic);
      expect(await createJob(generic as never, { imageId }, new Date())).toMatchObject({ status: "pending", version: 0 });
      const other = await copiedPhoto(generic);
      expect(await createJob(generic as never, { bookId: other.bookId }, new Date())).toMatchObject({ status: "pending" });
      // A second active job for the photo: refused, not an error.
      expect(await createJob(generic as never, { imageId }, new Date())).toBeUndefined();
    }
  });

  it("every transition compares-and-sets the state and version it read", async () => {
    const { imageId } = await copiedPhoto();
    const job = (await createJob(db.sql, { imageId }, new Date()))!;
    const v0 = { jobId: job.id, status: job.status, version: job.version };
    expect(await recordSend(db.sql, v0, { sent: true }, new Date())).toBe(true);
    // A second record from the same read misses: the job moved on (only the count of sends changes).
    expect(await recordSend(db.sql, v0, { sent: true }, new Date())).toBe(false);
    const claim = (await claimJob(db.sql, job.id, { finalReceive: false }, new Date()))!;
    const newer = (await claimJob(db.sql, job.id, { finalReceive: true }, new Date()))!;
    expect(newer.version).toBeGreaterThan(claim.version);
    // The older claim can neither complete nor fail nor dead-letter the job.
    expect(await completeJob(db.sql, claim, "p.png", new Date())).toBe(false);
    expect(await failJob(db.sql, { jobId: job.id, status: "processing", version: claim.version }, "bad", new Date())).toBe(false);
    expect(await markDeadLettered(db.sql, { jobId: job.id, status: "processing", version: claim.version }, "x", new Date())).toBe(false);
    expect(await completeJob(db.sql, newer, "p.png", new Date())).toBe(true);
    // Completed is never left: a redrive finds it superseded.
    const [row] = await db.sql`SELECT status, version FROM image_jobs WHERE id = ${job.id}`;
    expect(row).toMatchObject({ status: "completed" });
    expect(await resetForRedrive(db.sql, { jobId: job.id, status: "completed", version: row!.version }, new Date())).toBe("superseded");
  });
});
