/**
 * A database of its own for one test file: created from the server that the global setup
 * provides, migrated on request, dropped at the end.
 *
 * @example
 * const db = await createTestDatabase({ migrate: true });
 * afterAll(() => db.drop());
 */
import { randomBytes } from "node:crypto";
import { createDb, migrate as runMigrations, type Sql } from "@bluemoxon/core";
import postgres from "postgres";
import { inject } from "vitest";

export interface TestDatabase {
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

/** The server URL, or null with the reason when there is none (tests then skip). */
export function testDatabaseServer(): { url: string | null; skipReason: string | null } {
  return { url: inject("databaseUrl") ?? null, skipReason: inject("databaseSkipReason") ?? null };
}

export async function createTestDatabase({ migrate = false }: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const server = inject("databaseUrl");
  if (!server) throw new Error(`no PostgreSQL for tests: ${inject("databaseSkipReason")}`);
  const name = `bmx_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const u = new URL(server);
  u.pathname = `/${name}`;
  const url = u.toString();
  const sql = createDb({ url, max: 5, applicationName: "test" });
  if (migrate) await runMigrations(sql);
  return {
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 1 }).catch(() => {});
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end({ timeout: 1 });
    },
  };
}
