/**
 * The pipeline in one process for lifecycle tests: the embedded emulator (its fault injector at
 * hand), a throwaway PostgreSQL database, the eBay fixture, the API's deps (called directly, not over
 * HTTP) and a worker step that receives one message from the queue and runs `processJob` on it with
 * a fast fake engine passed in as a dependency. Clocks are explicit, so backoffs and leases are
 * passed by moving time, never by sleeping.
 *
 * @example
 * await using world = await startLifecycleWorld();
 * world.emulator.faults.add({ service: "s3", operation: "PutObject", count: 3, error: { code: "SlowDown", status: 503 } });
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { createAwsClients, createLogger, loadManifest, type Provisioned, provisionPipeline } from "@bluemoxon/core";
import { type Emulator, startEmulator } from "@bluemoxon/emulator";
import { type BuiltApiDeps, buildApiDeps } from "../../../services/api/src/index.ts";
import { startEbayFixture } from "../../../services/ebay-fixture/src/index.ts";
import { type Delivery, type ProcessJobDeps, type ProcessJobResult, processJob } from "../../../services/worker/src/process-job.ts";
import { testApiKey } from "../../api/support/api-harness.ts";
import { createTestDatabase, type TestDatabase } from "../../support/test-database.ts";

export interface LifecycleWorld extends AsyncDisposable {
  emulator: Emulator;
  provisioned: Provisioned;
  db: TestDatabase;
  listingsDir: string;
  /** The API's deps at a given time. */
  api(now?: Date): BuiltApiDeps;
  /** The worker's deps (fake engine; a hook between the PNG write and the completion). */
  worker: Omit<ProcessJobDeps, "logFor">;
  /** Receives up to one message of the image queue and runs the worker on it; undefined when the queue is empty. */
  workOne(options?: WorkOptions): Promise<{ result?: ProcessJobResult; error?: unknown; jobId?: string; heldHandle?: string } | undefined>;
  /** Makes a held message visible again (its visibility timeout passed). */
  expire(handle: string): Promise<void>;
  close(): Promise<void>;
}

export interface WorkOptions {
  /** The worker dies before or after writing the PNG. */
  crash?: "before-png" | "after-png";
  /** A dead worker reports nothing: its message stays invisible until `expire` (else it fails the record at once). */
  lost?: boolean;
  /** What the worker knows of the queue's redrive policy (undefined: the lookup failed). */
  maxReceiveCount?: number;
}

export const fakePng = Buffer.from("89504e470d0a1a0a", "hex");

export async function startLifecycleWorld(env: Record<string, string> = {}): Promise<LifecycleWorld> {
  const emulator = await startEmulator({ port: 0 });
  const endpoint = emulator.url.replace(/\/+$/, "");
  const credentials = { accessKeyId: "test", secretAccessKey: "test" };
  // The SDK's own retries on (standard, 3 attempts): a fault must outlast them to reach the code.
  const clients = createAwsClients({ region: "us-east-1", endpoint, credentials, maxAttempts: 3 });
  const provisioned = await provisionPipeline({
    clients,
    manifest: loadManifest(),
    environment: "local",
    secretValues: {
      "api-key": JSON.stringify({ keys: [testApiKey("lifecycle")] }),
      "ebay-credentials": JSON.stringify({ clientId: "fixture-client", clientSecret: "fixture-secret-value" }),
    },
    overwriteSecrets: true,
  });
  const db = await createTestDatabase({ migrate: true });
  const listingsDir = mkdtempSync(join(tmpdir(), "bmx-lifecycle-"));
  const ebay = await startEbayFixture({
    port: 0,
    dir: listingsDir,
    credentials: { clientId: "fixture-client", clientSecret: "fixture-secret-value" },
  });
  const base = await buildApiDeps({
    env: {
      PIPELINE_ENV: "local",
      API_KEY_SECRET_ID: provisioned.secrets["api-key"].name,
      EBAY_CREDENTIALS_SECRET_ID: provisioned.secrets["ebay-credentials"].name,
      EBAY_API_BASE_URL: ebay.url,
      PRIVATE_IMAGE_HOSTS_ALLOWED: new URL(ebay.url).host,
      DATABASE_URL: db.url,
      RETRY_BACKOFF_SECONDS: "10",
      JOB_STALE_SECONDS: "600",
      IMAGE_FETCH_TIMEOUT_MS: "5000",
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      LOG_LEVEL: "error",
      ...env,
    },
    aws: clients,
    sql: db.sql,
    log: createLogger({ service: "api", level: "error" }),
  });
  const queue = provisioned.queues["image-processing"]!;
  const worker: Omit<ProcessJobDeps, "logFor"> = {
    sql: db.sql,
    s3: clients.s3,
    bucket: base.bucket,
    remover: { remove: async () => ({ png: fakePng, width: 1, height: 1 }) },
  };
  const close = async () => {
    await ebay.close();
    await db.drop();
    clients.destroy();
    await emulator.close();
    rmSync(listingsDir, { recursive: true, force: true });
  };
  return {
    emulator,
    provisioned,
    db,
    listingsDir,
    api: (now?: Date) => (now ? { ...base, clock: { now: () => now } } : base),
    worker,
    async expire(handle) {
      await clients.sqs
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: handle, VisibilityTimeout: 0 }))
        .catch(() => {});
    },
    async workOne({ crash, lost, maxReceiveCount } = {}) {
      const out = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: 1,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ["ApproximateReceiveCount"],
        }),
      );
      const m = out.Messages?.[0];
      if (!m) return undefined;
      const delivery: Delivery = { receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1), maxReceiveCount };
      const crashNow = () => {
        throw new Error("worker crashed");
      };
      const deps: Omit<ProcessJobDeps, "logFor"> = {
        ...worker,
        remover: crash === "before-png" ? { remove: async () => crashNow() } : worker.remover,
        afterPngWrite: crash === "after-png" ? crashNow : undefined,
      };
      let jobId: string | undefined;
      try {
        jobId = JSON.parse(m.Body ?? "{}").jobId;
      } catch {}
      try {
        const result = await processJob(m.Body ?? "", deps, delivery);
        await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle! }));
        return { result, jobId };
      } catch (error) {
        if (lost) return { error, jobId, heldHandle: m.ReceiptHandle! };
        // A failed record: visible again at once (as a visibility timeout that passed).
        await clients.sqs.send(
          new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }),
        );
        return { error, jobId };
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
