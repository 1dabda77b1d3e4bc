/**
 * One request cannot exhaust the emulator's memory: bodies are capped per operation (S3 object
 * data at S3's 5 GiB, the query and JSON protocols at their documented maxima plus encoding), a
 * declared oversize is refused before a byte of the body is read, an undeclared one (chunked) as
 * soon as it passes the cap, and with IAM on an unsigned request is refused before its body.
 * The memory test measures a child emulator's peak RSS (VmHWM) around the attempt.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { repoRoot } from "@bluemoxon/core";
import { startEmulator } from "@bluemoxon/emulator";
import { describe, expect, it, onTestFinished } from "vitest";
import { headersOnly, streamUntilRefused } from "./support/raw-request.ts";

const region = "us-east-1";
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const sqsJson = (operation: string) => ({
  "content-type": "application/x-amz-json-1.0",
  "x-amz-target": `AmazonSQS.${operation}`,
});

describe("body caps", () => {
  it("refuses a declared oversize before reading the body, in each service's shape", async () => {
    const emulator = await startEmulator({ port: 0 });
    onTestFinished(() => emulator.close());
    const sqs = await headersOnly(emulator.url, {
      method: "POST",
      path: "/",
      headers: { ...sqsJson("SendMessage"), "content-length": String(GiB) },
    });
    expect(sqs.status).toBe(413);
    expect(sqs.headers["x-amzn-query-error"]).toBe("RequestEntityTooLarge;Sender");
    const secrets = await headersOnly(emulator.url, {
      method: "POST",
      path: "/",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "secretsmanager.CreateSecret",
        "content-length": String(8 * MiB),
      },
    });
    expect(secrets.status).toBe(413);
    const s3 = await headersOnly(emulator.url, {
      method: "PUT",
      path: "/photos/huge.bin",
      headers: { "content-length": String(6 * GiB) },
    });
    expect(s3.status).toBe(400);
    expect(s3.body).toContain("<Code>EntityTooLarge</Code>");
    // Nothing was left behind: the emulator answers the next client as ever.
    const client = new SQSClient({
      endpoint: emulator.url,
      region,
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
      maxAttempts: 1,
    });
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: "after" }));
    expect(QueueUrl).toMatch(/\/after$/);
  });

  it("with IAM on, refuses an unsigned or unknown-key request before its body", async () => {
    const emulator = await startEmulator({ port: 0, iam: { enforce: true, principals: [] } });
    onTestFinished(() => emulator.close());
    const unsigned = await headersOnly(emulator.url, {
      method: "PUT",
      path: "/photos/a.bin",
      headers: { "content-length": String(100 * MiB) },
    });
    expect(unsigned.status).toBe(403);
    expect(unsigned.body).toContain("<Code>AccessDenied</Code>");
    const stranger = await headersOnly(emulator.url, {
      method: "POST",
      path: "/",
      headers: {
        ...sqsJson("SendMessage"),
        "content-length": String(MiB),
        authorization:
          "AWS4-HMAC-SHA256 Credential=AKIANOBODY0000000000/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00",
      },
    });
    expect(stranger.status).toBe(403);
    expect(stranger.headers["x-amzn-query-error"]).toMatch(/^InvalidClientTokenId;/);
  });

  it("keeps a child emulator's peak memory bounded while a client streams an endless body", async () => {
    const child = spawn(process.execPath, [resolve(repoRoot, "services/emulator/bin/emulator.mjs"), "--port", "0"], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "inherit"],
    });
    onTestFinished(() => {
      child.kill("SIGKILL");
    });
    const url = await new Promise<string>((done, fail) => {
      child.once("exit", (code) => fail(new Error(`emulator exited ${code}`)));
      createInterface({ input: child.stdout }).on("line", (line) => {
        const m = /^emulator ready (\S+)/.exec(line);
        if (m) done(m[1]);
      });
    });
    const peakRss = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))![1]) * 1024;
    const client = new SQSClient({ endpoint: url, region, credentials: { accessKeyId: "x", secretAccessKey: "x" }, maxAttempts: 1 });
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: "jobs" }));
    const before = peakRss();
    const offered = 512 * MiB;
    const attempt = await streamUntilRefused(
      url,
      { method: "POST", path: "/", headers: { ...sqsJson("SendMessage"), "transfer-encoding": "chunked" } },
      Buffer.alloc(MiB, "a"),
      offered,
    );
    // Before: the whole body was collected (peak RSS grew by the 512 MiB offered, until memory ran out).
    expect(attempt.written).toBeLessThan(offered);
    expect(peakRss() - before).toBeLessThan(64 * MiB);
    const attrs = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }));
    expect(attrs.Attributes?.ApproximateNumberOfMessages).toBe("0");
  });
});
