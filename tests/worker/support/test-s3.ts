/**
 * An S3 endpoint for worker tests: the embedded emulator, or moto with `WORKER_TEST_S3=moto`.
 * Returns a client without SDK retries, so an injected fault reaches `processJob` instead of
 * being retried away inside the SDK.
 */
import { CreateBucketCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { startEmulator } from "../../../services/emulator/src/index.ts";
import { startMoto } from "../../support/moto.ts";

export interface TestS3 {
  kind: "emulator" | "moto";
  endpoint: string;
  s3: S3Client;
  createBucket(name: string): Promise<void>;
  /** The next `count` calls of `operation` fail with a 500 InternalError. */
  failNext(operation: "GetObject" | "PutObject", count?: number): void;
  stop(): Promise<void>;
}

const credentials = { accessKeyId: "test", secretAccessKey: "test" };

function client(endpoint: string): S3Client {
  return new S3Client({ region: "us-east-1", endpoint, credentials, forcePathStyle: true, maxAttempts: 1 });
}

async function startEmbedded(): Promise<TestS3> {
  const emulator = await startEmulator({ port: 0 });
  const s3 = client(emulator.url);
  return {
    kind: "emulator",
    endpoint: emulator.url,
    s3,
    async createBucket(name) {
      await s3.send(new CreateBucketCommand({ Bucket: name })).catch((error) => {
        if ((error as Error).name !== "BucketAlreadyOwnedByYou") throw error;
      });
    },
    failNext(operation, count = 1) {
      emulator.faults.add({ service: "s3", operation, count, error: { code: "InternalError", status: 500, message: "injected" } });
    },
    async stop() {
      s3.destroy();
      await emulator.close();
    },
  };
}

async function startMotoS3(): Promise<TestS3 | string> {
  const moto = await startMoto();
  if (!moto.ok) return moto.reason;
  const endpoint = moto.endpoint;
  const s3 = client(endpoint);
  const pending = new Map<string, number>();
  // moto has no fault injection: fail matching commands in the client before they are sent.
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const left = pending.get(context.commandName ?? "") ?? 0;
      if (left > 0) {
        pending.set(context.commandName ?? "", left - 1);
        throw new S3ServiceException({ name: "InternalError", $fault: "server", $metadata: { httpStatusCode: 500 }, message: "injected" });
      }
      return next(args);
    },
    { step: "initialize", name: "testFaults" },
  );
  return {
    kind: "moto",
    endpoint,
    s3,
    async createBucket(name) {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
    },
    failNext(operation, count = 1) {
      pending.set(`${operation}Command`, count);
    },
    async stop() {
      s3.destroy();
      await moto.stop();
    },
  };
}

/** The embedded emulator, or moto with `WORKER_TEST_S3=moto`; a string is why moto cannot run. */
export async function startTestS3(): Promise<TestS3 | string> {
  return process.env.WORKER_TEST_S3 === "moto" ? startMotoS3() : startEmbedded();
}
