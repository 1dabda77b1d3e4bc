/**
 * Migrations: plain SQL files in `migrations/`, applied in name order, each recorded with its
 * checksum in `schema_migrations`. Everything runs in one transaction under a transaction-level
 * advisory lock, so two runners (two Lambdas cold-starting, `npm start` and a test) serialise:
 * the second waits, then finds nothing left to apply.
 *
 * Bounded: `statementTimeoutMs` caps every statement (waiting for another runner's lock included),
 * `lockTimeoutMs` caps how long a migration waits for a table lock the running release holds —
 * a migration that would queue behind traffic (and make traffic queue behind it) fails instead.
 *
 * A small runner of our own rather than node-pg-migrate or similar: those bring their own
 * client (pg) and file conventions, while this needs ~60 lines on postgres.js, works over
 * PGlite's socket, and editing an applied file is refused by checksum.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Sql } from "./db.ts";

export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), "migrations");
/** Advisory lock key: a fixed 64-bit number ("bmxmigr" in ASCII). */
const lockKey = 0x626d786d696772n;

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

export interface MigrateOptions {
  dir?: string;
  /** Longest wait for a table or row lock inside a migration (Postgres lock_timeout); default 10 s. */
  lockTimeoutMs?: number;
  /** Longest any one statement may run, including the wait for another runner (statement_timeout); default 5 min. */
  statementTimeoutMs?: number;
}

const milliseconds = (name: string, value: number) => {
  if (!Number.isInteger(value) || value < 0) throw new MigrationError(`${name} must be a whole number of milliseconds ≥ 0, not ${value}`);
  return value;
};

/**
 * Applies pending migrations.
 * @example
 * const { applied } = await migrate(sql);
 */
export async function migrate(
  sql: Sql,
  { dir = migrationsDir, lockTimeoutMs = 10_000, statementTimeoutMs = 300_000 }: MigrateOptions = {},
): Promise<MigrationResult> {
  const statementTimeout = milliseconds("statementTimeoutMs", statementTimeoutMs);
  const lockTimeout = milliseconds("lockTimeoutMs", lockTimeoutMs);
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  const sources = await Promise.all(files.map(async (name) => ({ name, text: await readFile(join(dir, name), "utf8") })));
  return sql.begin(async (tx) => {
    // SET takes no parameters: the values are validated integers.
    await tx.unsafe(`SET LOCAL statement_timeout = ${statementTimeout}`);
    await tx`SELECT pg_advisory_xact_lock(${lockKey.toString()}::bigint)`;
    // After the advisory lock: waiting for another runner is bounded by statement_timeout only.
    await tx.unsafe(`SET LOCAL lock_timeout = ${lockTimeout}`);
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
    const rows = await tx<{ name: string; checksum: string }[]>`SELECT name, checksum FROM schema_migrations`;
    const done = new Map(rows.map((r) => [r.name, r.checksum]));
    const result: MigrationResult = { applied: [], skipped: [] };
    for (const { name, text } of sources) {
      const checksum = createHash("sha256").update(text).digest("hex");
      const previous = done.get(name);
      if (previous) {
        if (previous !== checksum)
          throw new MigrationError(`migration ${name} was changed after it was applied; add a new migration instead`);
        result.skipped.push(name);
        continue;
      }
      try {
        await tx.unsafe(text);
      } catch (error) {
        throw new MigrationError(`migration ${name} failed: ${(error as Error).message}`, { cause: error });
      }
      await tx`INSERT INTO schema_migrations (name, checksum) VALUES (${name}, ${checksum})`;
      result.applied.push(name);
    }
    return result;
  });
}
