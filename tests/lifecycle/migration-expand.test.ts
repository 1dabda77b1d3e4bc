/**
 * Expand-only, tested: the previous release's statements (its import, photo copy, job creation,
 * send record, worker claim and completion, sweep and redrive — their SQL as shipped before the
 * lifecycle module) run on the schema before the new migrations and keep working after them, as
 * they must while a go-live has the new schema and the old code running side by side. Rules:
 * packages/core/src/migrations/README.md.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate, migrationsDir, type Sql } from "@bluemoxon/core";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testDatabaseServer } from "../support/test-database.ts";

/** The last migration of the previous release; everything after it is new in this one. */
const previousRelease = "0003_final_receive.sql";

/** One listing's life as the previous release wrote it, statement by statement. */
async function previousReleaseRound(sql: Sql, itemId: string): Promise<{ jobId: string; imageId: string }> {
  const now = new Date();
  const [row] = await sql<{ book_id: string; id: string }[]>`
    WITH book AS (
      INSERT INTO books (source, source_item_id, title, price_value, price_currency, condition, seller, item_url, specifics, created_at, updated_at)
      VALUES ('ebay', ${itemId}, 'Old release', null, null, null, null, null, ${sql.json({})}, ${now}, ${now})
      ON CONFLICT (source, source_item_id) DO NOTHING
      RETURNING id
    ), photos AS (
      INSERT INTO book_images (book_id, position, source_url)
      SELECT book.id, (p.ord - 1)::int, p.url FROM book, unnest(${sql.array(["http://x/a.jpg", "http://x/b.jpg"])}::text[]) WITH ORDINALITY AS p(url, ord)
      RETURNING id, position, source_url
    )
    SELECT book.id AS book_id, photos.id FROM book LEFT JOIN photos ON true ORDER BY photos.position`;
  const imageId = row!.id;
  const bookId = row!.book_id;
  await sql`UPDATE book_images SET copy_status = 'copied', copy_error = NULL, s3_key = ${`books/${bookId}/x.jpg`}, content_type = 'image/jpeg', byte_size = 4
    WHERE id = ${imageId}`;
  await sql`UPDATE book_images SET copy_status = 'failed', copy_error = 'http_status: HTTP 404' WHERE book_id = ${bookId} AND id <> ${imageId}`;
  await sql`SELECT id, position, source_url FROM book_images WHERE book_id = ${bookId} AND copy_status = 'pending' ORDER BY position`;
  const [job] = await sql<{ id: string }[]>`
    WITH photo AS (
      SELECT i.id, i.s3_key FROM book_images i
      WHERE i.book_id = ${bookId} AND i.copy_status = 'copied'
        AND NOT EXISTS (SELECT 1 FROM image_jobs j JOIN book_images x ON x.id = j.image_id WHERE x.book_id = ${bookId})
      ORDER BY i.is_primary DESC, i.position LIMIT 1
    ), job AS (
      INSERT INTO image_jobs (image_id, status, created_at, updated_at)
      SELECT id, 'pending', ${now}, ${now} FROM photo
      ON CONFLICT (image_id) WHERE status IN ('pending', 'queued', 'queue_failed', 'processing') DO NOTHING
      RETURNING id, image_id
    ), flag AS (
      UPDATE book_images SET is_primary = true
      WHERE id IN (SELECT image_id FROM job) AND NOT EXISTS (SELECT 1 FROM book_images WHERE book_id = ${bookId} AND is_primary)
    )
    SELECT job.id FROM job`;
  const jobId = job!.id;
  const sent = await sql`
    UPDATE image_jobs SET status = 'queued', send_attempts = send_attempts + 1, updated_at = ${now}, queued_at = ${now}, last_error = ${null}
    WHERE id = ${jobId} AND status = 'pending' AND attempts = 0 AND status IN ('pending', 'queue_failed', 'queued', 'failed') RETURNING id`;
  expect(sent).toHaveLength(1);
  const claimed = await sql`
    UPDATE image_jobs j SET status = 'processing', attempts = j.attempts + 1, final_receive = false, started_at = now(), updated_at = now()
    FROM book_images i
    WHERE j.id = ${jobId} AND i.id = j.image_id AND j.status IN ('pending', 'queued', 'queue_failed', 'processing')
    RETURNING j.image_id, j.attempts, i.book_id, i.s3_key`;
  expect(claimed).toHaveLength(1);
  await sql`UPDATE image_jobs SET last_error = 'transient', updated_at = now() WHERE id = ${jobId} AND status = 'processing' AND attempts = 1`;
  const completed = await sql`
    WITH job AS (
      UPDATE image_jobs SET status = 'completed', completed_at = now(), updated_at = now(), last_error = NULL
      WHERE id = ${jobId} AND status = 'processing' AND attempts = 1
      RETURNING id, image_id
    ), photo AS (
      UPDATE book_images SET processed_key = 'x.png', processed_at = now() WHERE id IN (SELECT image_id FROM job)
    )
    SELECT id FROM job`;
  expect(completed).toHaveLength(1);
  // Reprocess, then the old redrive and dead-letter marking on the new job.
  const [again] = await sql<{ id: string }[]>`
    INSERT INTO image_jobs (image_id, status, created_at, updated_at) VALUES (${imageId}, 'pending', ${now}, ${now})
    ON CONFLICT (image_id) WHERE status IN ('pending', 'queued', 'queue_failed', 'processing') DO NOTHING RETURNING id`;
  await sql`UPDATE image_jobs SET status = 'failed', last_error = 'dead-lettered', updated_at = now()
    WHERE id = ${again!.id} AND status IN ('pending', 'queued', 'queue_failed', 'processing') AND status <> 'failed'`;
  await sql`UPDATE image_jobs SET status = 'queued', last_error = NULL, queued_at = ${now}, updated_at = ${now}
    WHERE id = ${again!.id} AND status IN ('pending', 'queued', 'queue_failed', 'processing', 'failed')`;
  await sql`
    WITH picked AS (
      SELECT j.id FROM image_jobs j WHERE j.status IN ('pending', 'queued', 'processing') AND j.updated_at <= now()
      ORDER BY j.updated_at LIMIT 10 FOR UPDATE SKIP LOCKED
    )
    UPDATE image_jobs j SET updated_at = now() FROM picked, book_images i WHERE j.id = picked.id AND i.id = j.image_id
    RETURNING j.id, j.image_id, i.book_id, i.s3_key, j.status, j.send_attempts, j.attempts, j.final_receive`;
  return { jobId, imageId };
}

const { skipReason } = testDatabaseServer();
describe.skipIf(Boolean(skipReason))("new migrations are expand-only", () => {
  let db: TestDatabase | undefined;
  const dirs: string[] = [];
  afterAll(async () => {
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("the previous release's statements work before and after every migration it does not know", async () => {
    db = await createTestDatabase();
    const all = readdirSync(migrationsDir)
      .filter((f) => f.endsWith(".sql"))
      .sort();
    const known = all.filter((f) => f <= previousRelease);
    const added = all.filter((f) => f > previousRelease);
    expect(added.length).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), "bmx-migrations-"));
    dirs.push(dir);
    for (const f of known) copyFileSync(join(migrationsDir, f), join(dir, f));
    expect((await migrate(db.sql, { dir })).applied).toEqual(known);
    await previousReleaseRound(db.sql, "old-before");
    // Each new migration in turn, with the old code's statements after each one.
    for (const f of added) {
      copyFileSync(join(migrationsDir, f), join(dir, f));
      expect((await migrate(db.sql, { dir })).applied).toEqual([f]);
      const { jobId, imageId } = await previousReleaseRound(db.sql, `old-after-${f}`);
      const [job] = await db.sql`SELECT status FROM image_jobs WHERE id = ${jobId}`;
      expect(job).toMatchObject({ status: "completed" });
      const [photo] = await db.sql`SELECT copy_status FROM book_images WHERE id = ${imageId}`;
      expect(photo).toMatchObject({ copy_status: "copied" });
    }
    // The old code's rows read as "as before" to the new code: version and copy attempts at their defaults.
    const rows = await db.sql`SELECT DISTINCT i.copy_attempts, i.copy_version FROM book_images i`;
    expect(rows).toEqual([{ copy_attempts: 0, copy_version: 0 }]);
  });
});
