import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PgliteServer, startPgliteServer } from "../../scripts/lib/pglite-server.ts";

const run = promisify(execFile);
const client = fileURLToPath(new URL("./fixtures/txn-client.ts", import.meta.url));

describe("PGlite over the wire (npm start's embedded Postgres)", () => {
  let pg: PgliteServer;
  beforeAll(async () => {
    pg = await startPgliteServer({ port: 0 });
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    await sql`CREATE TABLE txn_log (label text, txn int, step int, xid bigint)`;
    await sql.end();
  });
  afterAll(() => pg?.close());

  it("never interleaves transactions from two processes", async () => {
    // Two processes (as the API and the worker), each with a pool of 4 connections.
    await Promise.all([
      run(process.execPath, ["--import", "tsx", client, pg.url, "api", "40"]),
      run(process.execPath, ["--import", "tsx", client, pg.url, "worker", "40"]),
    ]);
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    const rows = await sql<{ label: string; txn: number; xids: string[]; steps: number }[]>`
      SELECT label, txn, array_agg(DISTINCT xid::text) AS xids, count(*)::int AS steps FROM txn_log GROUP BY label, txn`;
    await sql.end();
    expect(rows).toHaveLength(80);
    for (const r of rows) {
      expect(r.steps).toBe(3);
      expect(r.xids).toHaveLength(1); // every statement of a transaction ran in that transaction
    }
    const xids = rows.map((r) => r.xids[0]);
    expect(new Set(xids).size).toBe(80); // and no two transactions shared one
    expect(pg.stats().waits).toBeGreaterThan(0); // the connections really did contend
  });

  it("rolls back the open transaction of a connection that dies, and serves the others", async () => {
    const a = postgres(pg.url, { max: 1, onnotice: () => {} });
    await a`CREATE TABLE IF NOT EXISTS orphan (id int)`;
    const reserved = await a.reserve();
    await reserved`BEGIN`;
    await reserved`INSERT INTO orphan VALUES (1)`;
    // Another process waits for the session meanwhile.
    const b = postgres(pg.url, { max: 1, onnotice: () => {} });
    const waiting = b`SELECT count(*)::int AS n FROM orphan`;
    await a.end({ timeout: 0 }); // connection closed mid-transaction
    const [{ n }] = await waiting;
    expect(n).toBe(0);
    await b.end();
  });

  it("persists to its data folder across restarts", async () => {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = join(mkdtempSync(join(tmpdir(), "bmx-pglite-")), "db");
    const first = await startPgliteServer({ dataDir: dir });
    let sql = postgres(first.url, { max: 1, onnotice: () => {} });
    await sql`CREATE TABLE kept (v text)`;
    await sql`INSERT INTO kept VALUES ('still here')`;
    await sql.end();
    await first.close();
    const second = await startPgliteServer({ dataDir: dir });
    sql = postgres(second.url, { max: 1, onnotice: () => {} });
    expect(await sql`SELECT v FROM kept`).toEqual([{ v: "still here" }]);
    await sql.end();
    await second.close();
  });
});
