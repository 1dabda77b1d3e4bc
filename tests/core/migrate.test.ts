import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, MigrationError, migrate, type Sql } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

describe("migrations", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it("apply to an empty database and are idempotent on a second run", async () => {
    const first = await migrate(db.sql);
    expect(first.applied).toEqual([
      "0001_init.sql",
      "0002_one_active_job_per_image.sql",
      "0003_final_receive.sql",
      "0004_lifecycle_versions.sql",
    ]);
    const tables = await db.sql<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`;
    expect(tables.map((t) => t.table_name)).toEqual(["book_images", "books", "image_jobs", "schema_migrations"]);
    const second = await migrate(db.sql);
    expect(second).toEqual({
      applied: [],
      skipped: ["0001_init.sql", "0002_one_active_job_per_image.sql", "0003_final_receive.sql", "0004_lifecycle_versions.sql"],
    });
  });

  it("enforce job statuses in SQL", async () => {
    const [book] = await db.sql`INSERT INTO books (source, source_item_id, title) VALUES ('ebay', '1', 't') RETURNING id`;
    const [img] = await db.sql`INSERT INTO book_images (book_id, position, source_url) VALUES (${book.id}, 0, 'u') RETURNING id`;
    await expect(db.sql`INSERT INTO image_jobs (image_id, status) VALUES (${img.id}, 'done')`).rejects.toThrow(/check constraint/);
  });

  it("two concurrent runners do not both apply the same file", async () => {
    const other = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), "bmx-mig-"));
    // A slow migration widens the race window; the second runner must wait on the lock, then skip it.
    writeFileSync(join(dir, "0001_slow.sql"), "SELECT pg_sleep(0.5); CREATE TABLE once (id int);");
    const a = createDb({ url: other.url, max: 1 });
    const b = createDb({ url: other.url, max: 1 });
    try {
      const [ra, rb] = await Promise.all([migrate(a, { dir }), migrate(b, { dir })]);
      expect([...ra.applied, ...rb.applied]).toEqual(["0001_slow.sql"]);
      expect([...ra.skipped, ...rb.skipped]).toEqual(["0001_slow.sql"]);
      const [{ count }] = await other.sql`SELECT count(*)::int AS count FROM schema_migrations`;
      expect(count).toBe(1);
    } finally {
      await Promise.all([a.end(), b.end()]);
      await other.drop();
    }
  });

  it("refuse a migration edited after it was applied, and roll back a failing one", async () => {
    const other = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), "bmx-mig-"));
    let sql: Sql | undefined;
    try {
      sql = createDb({ url: other.url, max: 1 });
      writeFileSync(join(dir, "0001_a.sql"), "CREATE TABLE a (id int);");
      await migrate(sql, { dir });
      writeFileSync(join(dir, "0001_a.sql"), "CREATE TABLE a (id bigint);");
      await expect(migrate(sql, { dir })).rejects.toThrow(
        new MigrationError("migration 0001_a.sql was changed after it was applied; add a new migration instead"),
      );
      writeFileSync(join(dir, "0001_a.sql"), "CREATE TABLE a (id int);");
      writeFileSync(join(dir, "0002_b.sql"), "CREATE TABLE b (id int); SELECT nope;");
      await expect(migrate(sql, { dir })).rejects.toThrow(/migration 0002_b.sql failed: column "nope" does not exist/);
      const [{ exists }] = await sql`SELECT to_regclass('b') IS NOT NULL AS exists`;
      expect(exists).toBe(false);
    } finally {
      await sql?.end();
      await other.drop();
    }
  });
});
