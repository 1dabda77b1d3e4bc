/**
 * The worker's completion step with the database connection cut while it runs (a TCP proxy in
 * front of PostgreSQL drops both sockets when the completion statement is sent). postgres.js
 * 3.4.9 crashed the process when that happened inside `sql.begin` (porsager/postgres#1208); the
 * worker runs in a child process here so a crash is seen as what it is.
 */
import { fileURLToPath } from "node:url";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CuttingProxy, startCuttingProxy } from "../support/cutting-proxy.ts";
import { runTs } from "../support/run-ts.ts";
import { createTestDatabase, type TestDatabase, testDatabaseServer } from "../support/test-database.ts";
import { jobRow, seedJob } from "./support/seed-job.ts";

const child = fileURLToPath(new URL("./support/process-job-child.ts", import.meta.url));
const { skipReason } = testDatabaseServer();

const runWorker = (databaseUrl: string, body: string) => runTs(child, [], { DATABASE_URL: databaseUrl, JOB_BODY: body });

describe.skipIf(Boolean(skipReason))("processJob with the connection cut inside the completion", () => {
  let db: TestDatabase;
  let proxy: CuttingProxy;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    proxy = await startCuttingProxy(db.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await db?.drop();
  });

  it("keeps the process alive, reports the record for redelivery, writes nothing half; the redelivery completes it", async () => {
    const job = await seedJob(db.sql, {} as S3Client, "test", null);
    const cut = proxy.cutOn("UPDATE image_jobs SET status = 'completed'");
    const first = await runWorker(proxy.url, job.body);
    await cut;
    expect(proxy.cuts()).toBe(1);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(first.stdout.trim())).toMatchObject({ rejected: "StorageUnavailableError" });
    // Neither half of the completion is in the database: the job is still processing, the photo has no cut-out.
    expect(await jobRow(db.sql, job.jobId)).toMatchObject({ status: "processing", processed_key: null });

    const second = await runWorker(proxy.url, job.body);
    expect({ code: second.code, out: JSON.parse(second.stdout.trim()) }).toEqual({ code: 0, out: { outcome: "completed" } });
    expect(await jobRow(db.sql, job.jobId)).toMatchObject({
      status: "completed",
      processed_key: `books/${job.bookId}/images/${job.imageId}/processed.png`,
    });
  });
});
