/**
 * At most one active job (pending, queued, queue_failed, processing) per photo, enforced by the
 * database: direct inserts, concurrent reprocess requests, and the migration's clean-up of
 * duplicates that older code could leave behind.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate, migrationsDir } from "@bluemoxon/core";
import { describe, expect } from "vitest";
import { createTestDatabase } from "../support/test-database.ts";
import { type ApiHarness, apiTest as it } from "./support/api-harness.ts";

let item = 0;
async function seedPhoto(sql: ApiHarness["db"]["sql"]) {
  const [book] =
    await sql`INSERT INTO books (source, source_item_id, title) VALUES ('ebay', ${`active-${++item}`}, 'One job') RETURNING id`;
  const [image] = await sql`
    INSERT INTO book_images (book_id, position, source_url, copy_status, s3_key, is_primary)
    VALUES (${book.id}, 0, 'http://x/1.jpg', 'copied', ${`books/${book.id}/images/x/original.jpg`}, true) RETURNING id`;
  return { bookId: book.id as string, imageId: image.id as string };
}

describe("one active job per photo", () => {
  it("refuses a second active job for a photo in SQL, but allows one after the first finished", async ({ h }) => {
    const sql = h.db.sql;
    const { imageId } = await seedPhoto(sql);
    await sql`INSERT INTO image_jobs (image_id, status) VALUES (${imageId}, 'processing')`;
    for (const status of ["pending", "queued", "queue_failed", "processing"]) {
      await expect(sql`INSERT INTO image_jobs (image_id, status) VALUES (${imageId}, ${status})`, status).rejects.toThrow(
        /image_jobs_one_active/,
      );
    }
    await sql`UPDATE image_jobs SET status = 'completed' WHERE image_id = ${imageId}`;
    await sql`INSERT INTO image_jobs (image_id, status) VALUES (${imageId}, 'queued')`;
    await sql`INSERT INTO image_jobs (image_id, status) VALUES (${imageId}, 'failed')`;
  });

  it("answers concurrent reprocess requests with one 202 and 409 for the rest", async ({ h }) => {
    const { bookId, imageId } = await seedPhoto(h.db.sql);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => h.call(`/api/v1/books/${bookId}/images/${imageId}/process`, { method: "POST" })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409, 409, 409, 409, 409]);
    const conflict = await answers.find((a) => a.status === 409)!.json();
    expect(conflict.detail).toMatch(/already has an active job/);
    const jobs = await h.db.sql`SELECT status FROM image_jobs WHERE image_id = ${imageId}`;
    expect(jobs).toHaveLength(1);
  });

  it("migration 0002 fails all but the newest of duplicate active jobs, with a reason", async ({ h: _skipsWithoutTheHarness }) => {
    const db = await createTestDatabase();
    const onlyFirst = mkdtempSync(join(tmpdir(), "bmx-mig-0001-"));
    try {
      copyFileSync(join(migrationsDir, "0001_init.sql"), join(onlyFirst, "0001_init.sql"));
      await migrate(db.sql, { dir: onlyFirst });
      const { imageId } = await seedPhoto(db.sql);
      const older = await db.sql`
        INSERT INTO image_jobs (image_id, status, created_at) VALUES
          (${imageId}, 'processing', now() - interval '2 hours'), (${imageId}, 'queued', now() - interval '1 hour')
        RETURNING id`;
      const [newest] = await db.sql`INSERT INTO image_jobs (image_id, status) VALUES (${imageId}, 'queued') RETURNING id`;
      expect((await migrate(db.sql)).applied).toContain("0002_one_active_job_per_image.sql");
      const rows = await db.sql<{ id: string; status: string; last_error: string | null }[]>`
        SELECT id, status, last_error FROM image_jobs WHERE image_id = ${imageId}`;
      const byId = new Map(rows.map((r) => [r.id, r]));
      expect(byId.get(newest.id)).toMatchObject({ status: "queued", last_error: null });
      for (const o of older) {
        expect(byId.get(o.id)).toMatchObject({ status: "failed", last_error: expect.stringMatching(/newer active job of the same photo/) });
      }
    } finally {
      rmSync(onlyFirst, { recursive: true, force: true });
      await db.drop();
    }
  });
});
