/**
 * Migrations are bounded (packages/core/src/migrate.ts): a migration that waits for a lock the
 * running release holds fails after lock_timeout instead of queueing (and making every request
 * queue behind it), and a statement that runs too long fails after statement_timeout. Both roll
 * back: nothing is recorded as applied, a later run applies it once the lock is gone.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, MigrationError, migrate } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

const dirWith = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), "bmx-migrations-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};

describe("migration timeouts", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.sql`CREATE TABLE busy (id int)`;
  });
  afterAll(() => db?.drop());

  it("a migration waiting for a lock the running release holds fails after lock_timeout, applies nothing, and applies later", async () => {
    const dir = dirWith({ "0001_alter_busy.sql": "ALTER TABLE busy ADD COLUMN note text;" });
    const holder = createDb({ url: db.url, max: 1, applicationName: "holder" });
    let release: () => void = () => {};
    const released = new Promise<void>((ok) => {
      release = ok;
    });
    let locked: () => void = () => {};
    const holding = new Promise<void>((ok) => {
      locked = ok;
    });
    // The running release reads `busy` in a long transaction: ALTER TABLE needs an exclusive lock.
    const tx = holder.begin(async (t) => {
      await t`LOCK TABLE busy IN ACCESS SHARE MODE`;
      locked();
      await released;
    });
    try {
      await holding;
      const error = await migrate(db.sql, { dir, lockTimeoutMs: 200 }).catch((e: Error) => e);
      expect(error).toBeInstanceOf(MigrationError);
      expect((error as Error).message).toMatch(/0001_alter_busy\.sql failed: canceling statement due to lock timeout/);
      const [row] = await db.sql`SELECT to_regclass('schema_migrations') AS t`;
      const applied = row.t ? await db.sql`SELECT name FROM schema_migrations` : [];
      expect(applied).toEqual([]);
    } finally {
      release();
      await tx;
      await holder.end();
    }
    expect((await migrate(db.sql, { dir, lockTimeoutMs: 200 })).applied).toEqual(["0001_alter_busy.sql"]);
  });

  it("a statement longer than statement_timeout fails the migration", async () => {
    const dir = dirWith({ "0001_slow.sql": "SELECT pg_sleep(30);" });
    const error = await migrate(db.sql, { dir, statementTimeoutMs: 100 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(/0001_slow\.sql failed: canceling statement due to statement timeout/);
  });

  it("refuses a timeout that is not a whole number of milliseconds", async () => {
    await expect(migrate(db.sql, { statementTimeoutMs: 1.5 })).rejects.toThrow(/statementTimeoutMs must be a whole number/);
  });
});

describe("the migrations' own entry point (services/api lambda.migrateHandler)", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it("migrates over its own connection, bounded, and closes it", async () => {
    const { createMigrateHandler } = await import("@bluemoxon/api");
    const own = createDb({ url: db.url, max: 1, applicationName: "migrate-entry" });
    const result = await createMigrateHandler(async () => own, { lockTimeoutMs: 1_000 })();
    expect(result.ok).toBe(true);
    expect(result.applied.length).toBeGreaterThan(0);
    const open = await db.sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'migrate-entry'`;
    expect(open[0].n).toBe(0);
  });
});
