/**
 * Vitest global setup: a PostgreSQL server for the tests.
 *
 * Uses `TEST_DATABASE_URL` when set (a server you run); otherwise starts a throwaway
 * cluster of the installed PostgreSQL (`initdb` + `postgres` on a free loopback port, in a
 * temp folder) and removes it afterwards. Tests create their own databases from it
 * (`createTestDatabase()`), so nothing touches a developer's data.
 */
import { execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { freePort } from "./free-port.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string | null;
    databaseSkipReason: string | null;
  }
}

function findPgBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, "bin", "initdb"))) return join(root, v, "bin");
  return undefined;
}

async function waitReady(url: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      await sql.end();
      return;
    } catch (error) {
      last = error;
      await sql.end({ timeout: 0 }).catch(() => {});
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  throw new Error(`PostgreSQL did not answer at ${url.replace(/:[^:@/]*@/, ":***@")}: ${(last as Error)?.message}`);
}

export default async function setup(project: TestProject) {
  const given = process.env.TEST_DATABASE_URL?.trim();
  if (given) {
    await waitReady(given, 10_000);
    project.provide("databaseUrl", given);
    project.provide("databaseSkipReason", null);
    return;
  }
  const bin = findPgBin();
  if (!bin) {
    const reason = "no TEST_DATABASE_URL and no PostgreSQL installed under /usr/lib/postgresql";
    console.log(`[postgres] ${reason}: database tests skip`);
    project.provide("databaseUrl", null);
    project.provide("databaseSkipReason", reason);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "bmx-pg-"));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) =>
    asRoot ? (["runuser", ["-u", "postgres", "--", cmd, ...args]] as const) : ([cmd, args] as const);
  if (asRoot)
    chownSync(
      dir,
      Number(execFileSync("id", ["-u", "postgres"]).toString().trim()),
      Number(execFileSync("id", ["-g", "postgres"]).toString().trim()),
    );
  const data = join(dir, "data");
  const [initCmd, initArgs] = run(join(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
  execFileSync(initCmd, initArgs, { stdio: "ignore" });
  const port = await freePort();
  const [pgCmd, pgArgs] = run(join(bin, "postgres"), [
    "-D",
    data,
    "-p",
    String(port),
    "-k",
    dir,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "max_connections=300",
  ]);
  const child = spawn(pgCmd, pgArgs, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    await waitReady(url);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  process.env.TEST_DATABASE_URL = url;
  project.provide("databaseUrl", url);
  project.provide("databaseSkipReason", null);
  return async () => {
    // `runuser` does not pass signals on to postgres; pg_ctl stops it by its pid file.
    const [stopCmd, stopArgs] = run(join(bin, "pg_ctl"), ["-D", data, "stop", "-m", "fast", "-w", "-t", "10"]);
    try {
      execFileSync(stopCmd, stopArgs, { stdio: "ignore" });
    } catch {
      child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
