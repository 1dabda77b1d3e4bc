/**
 * An S3 endpoint for worker tests: the embedded emulator when it exports `startEmulator`,
 * otherwise moto (`python3 -m moto.server`). Returns a client without SDK retries, so an injected
 * fault reaches `processJob` instead of being retried away inside the SDK.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { CreateBucketCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";

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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

function client(endpoint: string): S3Client {
  return new S3Client({ region: "us-east-1", endpoint, credentials, forcePathStyle: true, maxAttempts: 1 });
}

interface EmulatorHandle {
  url?: string;
  endpoint?: string;
  port?: number;
  faults: { add(fault: unknown): unknown };
  close?: () => Promise<void>;
  stop?: () => Promise<void>;
}

async function tryEmulator(): Promise<TestS3 | undefined> {
  const path = new URL("../../../services/emulator/src/index.ts", import.meta.url);
  if (!existsSync(path)) return undefined;
  const mod = (await import(path.href)) as { startEmulator?: (options?: Record<string, unknown>) => Promise<EmulatorHandle> };
  if (typeof mod.startEmulator !== "function") return undefined;
  const emulator = await mod.startEmulator({ port: 0, host: "127.0.0.1" });
  const endpoint = emulator.url ?? emulator.endpoint ?? `http://127.0.0.1:${emulator.port}`;
  const s3 = client(endpoint);
  return {
    kind: "emulator",
    endpoint,
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
      await (emulator.close ?? emulator.stop)?.call(emulator);
    },
  };
}

async function startMoto(): Promise<TestS3 | string> {
  const port = await freePort();
  const child = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr = (stderr + d).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) return `moto did not start: ${stderr.trim().split("\n").pop()}`;
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        return "moto did not answer within 20 s";
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
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
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The emulator when available, else moto; a string is the reason neither could start. */
export async function startTestS3(): Promise<TestS3 | string> {
  return (await tryEmulator()) ?? (await startMoto());
}
