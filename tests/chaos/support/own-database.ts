/**
 * A database of its own, owned by a role with a password, on the test PostgreSQL server: the
 * stack gets a URL carrying a real password (so the secrets check has one to look for) and the
 * test keeps a superuser connection that can cut the stack's connections.
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";

export interface OwnDatabase {
  /** What the stack is given (role + password). */
  url: string;
  name: string;
  password: string;
  /** Superuser connection to the server's `postgres` database. */
  admin: postgres.Sql;
  /** Superuser connection to this database (for reading the outcome). */
  sql: postgres.Sql;
  /** Terminates every backend of this database except the test's own; returns how many. */
  cutConnections(): Promise<number>;
  drop(): Promise<void>;
}

/** null (with the reason) when the test server is missing. */
export async function createOwnDatabase(): Promise<OwnDatabase | { skip: string }> {
  const server = inject("databaseUrl");
  if (!server) return { skip: `no PostgreSQL for tests: ${inject("databaseSkipReason")}` };
  const suffix = randomBytes(5).toString("hex");
  const name = `bmx_chaos_${suffix}`;
  const role = `bmx_chaos_${suffix}`;
  const password = `pw_${randomBytes(18).toString("base64url")}`;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await admin.unsafe(`CREATE DATABASE ${name} OWNER ${role}`);
  const u = new URL(server);
  u.pathname = `/${name}`;
  const sql = postgres(u.toString(), { max: 2, onnotice: () => {} });
  u.username = role;
  u.password = password;
  return {
    url: u.toString(),
    name,
    password,
    admin,
    sql,
    async cutConnections() {
      const rows = await admin`
        SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
        WHERE datname = ${name} AND usename = ${role} AND pid <> pg_backend_pid()`;
      return rows.filter((r) => r.ok).length;
    },
    async drop() {
      await sql.end({ timeout: 1 }).catch(() => {});
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.unsafe(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
      await admin.end({ timeout: 1 });
    },
  };
}
