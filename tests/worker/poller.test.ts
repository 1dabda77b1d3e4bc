/**
 * The poller as compose runs it: `node --import tsx services/worker/src/poller.ts` against the
 * embedded emulator. SIGTERM arrives while a job is in progress; the process must finish that job
 * (completed, message deleted) before it exits 0.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { loadManifest } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testDatabaseServer } from "../support/test-database.ts";
import { bookScene, encodeScene } from "./book-scene.ts";
import { jobRow, seedJob } from "./support/seed-job.ts";

const emulatorEntry = new URL("../../services/emulator/src/index.ts", import.meta.url);
const skip = testDatabaseServer().skipReason ?? (existsSync(emulatorEntry) ? null : "the emulator is not there yet");
if (skip) console.log(`[worker] poller test skips: ${skip}`);
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

describe.skipIf(Boolean(skip))("poller", () => {
  let db: TestDatabase;
  // biome-ignore lint/suspicious/noExplicitAny: the emulator module is loaded dynamically
  let emulator: any;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    const { startEmulator } = await import(emulatorEntry.href);
    emulator = await startEmulator({ port: 0, manifest: loadManifest(), environment: "local" });
    db = await createTestDatabase({ migrate: true });
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await emulator?.close();
    await db?.drop();
  });

  it("finishes the job in progress on SIGTERM, then exits 0", async () => {
    const bucket = "bluemoxon-local-images";
    const queue = emulator.resources.queues["image-processing"];
    const s3 = new S3Client({ region: "us-east-1", endpoint: emulator.url, credentials, forcePathStyle: true });
    const sqs = new SQSClient({ region: "us-east-1", endpoint: emulator.url, credentials });
    const scene = await bookScene({ width: 320, height: 240, background: "white", seed: 41 });
    const job = await seedJob(db.sql, s3, bucket, await encodeScene(scene));

    const proc = spawn(process.execPath, ["--import", "tsx", "services/worker/src/poller.ts"], {
      cwd: new URL("../..", import.meta.url).pathname,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        PIPELINE_ENV: "local",
        IMAGE_BUCKET: bucket,
        IMAGE_QUEUE_URL: queue.url,
        DATABASE_URL: db.url,
        AWS_ENDPOINT_URL: emulator.url,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        LOG_LEVEL: "info",
      },
    });
    child = proc;
    let output = "";
    proc.stdout?.on("data", (d) => {
      output += d;
    });
    proc.stderr?.on("data", (d) => {
      output += d;
    });
    const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));

    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: job.body }));
    // Wait until the job is claimed (model loaded, message received), then ask the poller to stop.
    const deadline = Date.now() + 180_000;
    while ((await jobRow(db.sql, job.jobId)).status !== "processing") {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`poller never claimed the job:\n${output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    proc.kill("SIGTERM");
    expect(await exited, output.slice(-3000)).toBe(0);

    expect(await jobRow(db.sql, job.jobId)).toMatchObject({ status: "completed", attempts: 1 });
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    expect(attrs.Attributes).toMatchObject({ ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
    expect(output).toMatch(/poller stopped/);
    s3.destroy();
    sqs.destroy();
  }, 300_000);
});
