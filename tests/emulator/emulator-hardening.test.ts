/**
 * The emulator cannot be misused: malformed requests get the service's own error, state changes
 * only after faults and IAM have passed, IAM authorizes the resource the operation acts on, and
 * the admin API answers only a local caller holding the per-start token.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startEmulator } from "@bluemoxon/emulator";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { rawRequest } from "./support/raw-request.ts";

const region = "us-east-1";
type Creds = { accessKeyId: string; secretAccessKey: string };

/** An SQS client that adds `extra` members to every JSON request body before it is signed. */
function sqsWithExtraMembers(url: string, credentials: Creds, extra: Record<string, string>): SQSClient {
  const sqs = new SQSClient({ endpoint: url, region, credentials, maxAttempts: 1 });
  sqs.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as { body?: string | Uint8Array; headers: Record<string, string> };
      const text = typeof req.body === "string" ? req.body : new TextDecoder().decode(req.body);
      req.body = JSON.stringify({ ...JSON.parse(text), ...extra });
      req.headers["content-length"] = String(Buffer.byteLength(req.body));
      return next(args);
    },
    { step: "build", name: "addExtraMembers" },
  );
  return sqs;
}

describe("routing errors are the service's own", () => {
  it("answers a malformed x-amz-copy-source and a malformed key with S3's 400 XML", async () => {
    const emulator = await startEmulator({ port: 0 });
    onTestFinished(() => emulator.close());
    const copy = await rawRequest(emulator.url, {
      method: "PUT",
      path: "/bucket/target",
      headers: { "x-amz-copy-source": "/bucket/%E0%A4%A" },
    });
    expect(copy.status).toBe(400);
    expect(copy.headers["content-type"]).toBe("application/xml");
    expect(copy.body).toContain("<Code>InvalidArgument</Code>");
    const key = await rawRequest(emulator.url, { method: "GET", path: "/bucket/%E0%A4%A" });
    expect(key.status).toBe(400);
    expect(key.body).toContain("<Code>InvalidURI</Code>");
  });
});

describe("expired secrets", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "emulator-expired-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("are purged only by a call that passed IAM", async () => {
    const arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:gone-AbCdEf";
    const past = Date.now() - 60_000;
    writeFileSync(
      join(dataDir, "secrets.json"),
      JSON.stringify([
        { name: "gone", arn, tags: [], createdAt: past, lastChangedAt: past, deletedAt: past - 1000, deletionDate: past, versions: [] },
      ]),
    );
    const stranger = {
      name: "stranger",
      accessKeyId: "AKIASTRANGER00000001",
      secretAccessKey: "stranger-secret-000000000000000000000000",
      statements: [],
    };
    const first = await startEmulator({ port: 0, dataDir, iam: { enforce: true, principals: [stranger] } });
    const denied = await new SecretsManagerClient({ endpoint: first.url, region, credentials: stranger, maxAttempts: 1 })
      .send(new DescribeSecretCommand({ SecretId: "gone" }))
      .catch((e) => e);
    expect(denied.name).toBe("AccessDeniedException");
    await first.close();
    const names = () => (JSON.parse(readFileSync(join(dataDir, "secrets.json"), "utf8")) as { name: string }[]).map((s) => s.name);
    expect(names()).toEqual(["gone"]);

    const second = await startEmulator({ port: 0, dataDir, iam: { enforce: true, principals: [] } });
    const missing = await new SecretsManagerClient({
      endpoint: second.url,
      region,
      credentials: second.iam.adminCredentials,
      maxAttempts: 1,
    })
      .send(new DescribeSecretCommand({ SecretId: "gone" }))
      .catch((e) => e);
    expect(missing.name).toBe("ResourceNotFoundException");
    await second.close();
    expect(names()).toEqual([]);
  });
});

describe("IAM authorizes the queue the operation acts on", () => {
  const queueArn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
  const api = {
    name: "api",
    accessKeyId: "AKIAAPI0000000000001",
    secretAccessKey: "api-secret-00000000000000000000000000000",
    statements: [{ Effect: "Allow" as const, Action: ["sqs:SendMessage"], Resource: [queueArn("main")] }],
  };
  const worker = {
    name: "worker",
    accessKeyId: "AKIAWORKER0000000002",
    secretAccessKey: "worker-secret-000000000000000000000000000",
    statements: [{ Effect: "Allow" as const, Action: ["sqs:ReceiveMessage"], Resource: [queueArn("main")] }],
  };

  it("refuses QueueName=<main> with QueueUrl=<dlq> for writes and reads, and the DLQ stays untouched", async () => {
    const emulator = await startEmulator({ port: 0, iam: { enforce: true, principals: [api, worker] } });
    onTestFinished(() => emulator.close());
    const admin = new SQSClient({ endpoint: emulator.url, region, credentials: emulator.iam.adminCredentials, maxAttempts: 1 });
    await admin.send(new CreateQueueCommand({ QueueName: "main" }));
    const { QueueUrl: dlq } = await admin.send(new CreateQueueCommand({ QueueName: "main-dlq" }));
    await admin.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: "dead letter" }));

    const send = await sqsWithExtraMembers(emulator.url, api, { QueueName: "main" })
      .send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: "smuggled" }))
      .catch((e) => e);
    expect(send.name).toBe("InvalidParameterValue");
    expect(send.$metadata.httpStatusCode).toBe(400);
    const read = await sqsWithExtraMembers(emulator.url, worker, { QueueName: "main" })
      .send(new ReceiveMessageCommand({ QueueUrl: dlq }))
      .catch((e) => e);
    expect(read.name).toBe("InvalidParameterValue");
    // Without the decoy the same calls are judged against the DLQ itself, and denied.
    const direct = await new SQSClient({ endpoint: emulator.url, region, credentials: api, maxAttempts: 1 })
      .send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: "x" }))
      .catch((e) => e);
    expect(direct.name).toBe("AccessDenied");
    expect(direct.message).toContain(queueArn("main-dlq"));

    const attrs = await admin.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ["ApproximateNumberOfMessages"] }));
    expect(attrs.Attributes?.ApproximateNumberOfMessages).toBe("1");
  });
});

describe("the admin API", () => {
  it("answers only a local caller with the per-start token, never a web page", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "emulator-admin-"));
    const emulator = await startEmulator({ port: 0, dataDir });
    try {
      expect(emulator.adminToken).toMatch(/^[A-Za-z0-9_-]{32,}$/);
      expect(readFileSync(join(dataDir, "admin-token"), "utf8")).toBe(emulator.adminToken);
      const fault = JSON.stringify({ service: "sqs", latencyMs: 600_000 });
      const auth = { authorization: `Bearer ${emulator.adminToken}` };
      const post = (headers: Record<string, string>) =>
        rawRequest(emulator.url, {
          method: "POST",
          path: "/_emulator/faults",
          headers: { "content-type": "text/plain", ...headers },
          body: fault,
        });

      const crossOrigin = await post({ ...auth, origin: "http://evil.example" });
      expect(crossOrigin.status).toBe(403);
      const rebound = await post({ ...auth, host: `evil.example:${emulator.port}` });
      expect(rebound.status).toBe(403);
      const noToken = await post({});
      expect(noToken.status).toBe(401);
      const wrongToken = await post({ authorization: "Bearer nope" });
      expect(wrongToken.status).toBe(401);
      expect(emulator.faults.report().faults).toEqual([]);

      const ok = await post(auth);
      expect(ok.status).toBe(201);
      expect(emulator.faults.report().faults).toHaveLength(1);
    } finally {
      await emulator.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
