/**
 * The embedded emulator through the real AWS SDK v3 clients: the behaviours the pipeline relies on
 * that unit tests cannot show (wire protocols, checksums, multipart, presigning, IAM, persistence, faults).
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { loadManifest } from "@bluemoxon/core";
import { type Emulator, startEmulator } from "@bluemoxon/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const region = "us-east-1";
const dummy = { accessKeyId: "test", secretAccessKey: "test" };
type Creds = { accessKeyId: string; secretAccessKey: string };
const clients = (url: string, credentials: Creds = dummy) => ({
  sqs: new SQSClient({ endpoint: url, region, credentials, maxAttempts: 1 }),
  s3: new S3Client({ endpoint: url, region, credentials, forcePathStyle: true, maxAttempts: 1 }),
  secrets: new SecretsManagerClient({ endpoint: url, region, credentials, maxAttempts: 1 }),
});

describe("emulator with the AWS SDK v3", () => {
  let emulator: Emulator;
  let aws: ReturnType<typeof clients>;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    aws = clients(emulator.url);
  });
  afterAll(() => emulator.close());

  it("sends and receives with attributes, MD5s checked by the SDK, and wakes a long poll at once", async () => {
    const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: "it-jobs" }));
    const poll = aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        WaitTimeSeconds: 10,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 100));
    await aws.sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: '{"v":1}',
        MessageAttributes: {
          kind: { DataType: "String", StringValue: "image" },
          blob: { DataType: "Binary", BinaryValue: new Uint8Array([0, 255]) },
        },
      }),
    );
    const { Messages = [] } = await poll;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(Messages[0].Body).toBe('{"v":1}');
    expect(Messages[0].MessageAttributes?.kind.StringValue).toBe("image");
    expect(Messages[0].Attributes?.ApproximateReceiveCount).toBe("1");
    const batch = await aws.sqs.send(
      new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `body ${i}` })) }),
    );
    expect(batch.Successful).toHaveLength(10);
    const got = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    const deleted = await aws.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: (got.Messages ?? []).map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    expect(deleted.Successful).toHaveLength(10);
    const attrs = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
    expect(attrs.Attributes).toMatchObject({ ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "1" });
  });

  it("answers SQS errors in the JSON protocol's shape", async () => {
    const error = await aws.sqs
      .send(new SendMessageCommand({ QueueUrl: `${emulator.url}/000000000000/missing`, MessageBody: "x" }))
      .catch((e) => e);
    expect(error.name).toBe("QueueDoesNotExist");
    expect(error.Code).toBe("AWS.SimpleQueueService.NonExistentQueue");
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it("speaks the query protocol with XML replies", async () => {
    const res = await fetch(emulator.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        Action: "CreateQueue",
        QueueName: "it-query",
        "Attribute.1.Name": "DelaySeconds",
        "Attribute.1.Value": "0",
      }),
    });
    const text = await res.text();
    expect(text).toContain(`<QueueUrl>${emulator.url}/000000000000/it-query</QueueUrl>`);
    const missing = await fetch(emulator.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ Action: "GetQueueUrl", QueueName: "nope" }),
    });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>");
  });

  it("stores the exact bytes of buffer and stream uploads and returns their checksums", async () => {
    await aws.s3.send(new CreateBucketCommand({ Bucket: "it-images" }));
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    await aws.s3.send(
      new PutObjectCommand({ Bucket: "it-images", Key: "buf.bin", Body: bytes, ContentType: "image/png", Metadata: { book: "42" } }),
    );
    await aws.s3.send(
      new PutObjectCommand({
        Bucket: "it-images",
        Key: "stream.bin",
        Body: Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
        ContentLength: bytes.length,
      }),
    );
    for (const Key of ["buf.bin", "stream.bin"]) {
      const got = await aws.s3.send(new GetObjectCommand({ Bucket: "it-images", Key, ChecksumMode: "ENABLED" }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(bytes)).toBe(true);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(bytes));
      expect(got.ChecksumCRC32).toBe(crc.toString("base64"));
    }
    const head = await aws.s3.send(new HeadObjectCommand({ Bucket: "it-images", Key: "buf.bin" }));
    expect(head.ContentType).toBe("image/png");
    expect(head.Metadata).toEqual({ book: "42" });
    expect(head.ETag).toBe(`"${createHash("md5").update(bytes).digest("hex")}"`);
  });

  it("rejects a body whose CRC32 does not match with BadDigest", async () => {
    const res = await fetch(`${emulator.url}/it-images/bad.bin`, {
      method: "PUT",
      headers: { "x-amz-checksum-crc32": "AAAAAA==" },
      body: "not empty",
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("<Code>BadDigest</Code>");
  });

  it("serves ranges, conditional GETs and InvalidRange", async () => {
    await aws.s3.send(new PutObjectCommand({ Bucket: "it-images", Key: "r.txt", Body: "0123456789" }));
    const part = await aws.s3.send(new GetObjectCommand({ Bucket: "it-images", Key: "r.txt", Range: "bytes=2-4" }));
    expect(await part.Body!.transformToString()).toBe("234");
    expect(part.ContentRange).toBe("bytes 2-4/10");
    const etag = part.ETag!;
    expect((await fetch(`${emulator.url}/it-images/r.txt`, { headers: { "if-none-match": etag } })).status).toBe(304);
    expect((await fetch(`${emulator.url}/it-images/r.txt`, { headers: { "if-match": '"other"' } })).status).toBe(412);
    const bad = await aws.s3.send(new GetObjectCommand({ Bucket: "it-images", Key: "r.txt", Range: "bytes=20-30" })).catch((e) => e);
    expect(bad.name).toBe("InvalidRange");
    expect(bad.$metadata.httpStatusCode).toBe(416);
  });

  it("completes a multipart upload from lib-storage and lists with delimiter and continuation", async () => {
    const big = Buffer.alloc(11 * 1024 * 1024, 3);
    await new Upload({ client: aws.s3, params: { Bucket: "it-images", Key: "dir/big.bin", Body: Readable.from([big]) } }).done();
    const got = await aws.s3.send(new GetObjectCommand({ Bucket: "it-images", Key: "dir/big.bin" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(big)).toBe(true);
    expect(got.ETag).toMatch(/-3"$/);
    for (const k of ["dir/a", "dir/b", "other/c"]) await aws.s3.send(new PutObjectCommand({ Bucket: "it-images", Key: k, Body: k }));
    const top = await aws.s3.send(new ListObjectsV2Command({ Bucket: "it-images", Delimiter: "/" }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["dir/", "other/"]);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await aws.s3.send(
        new ListObjectsV2Command({ Bucket: "it-images", Prefix: "dir/", MaxKeys: 2, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    expect(keys).toEqual(["dir/a", "dir/b", "dir/big.bin"]);
    await aws.s3.send(new CopyObjectCommand({ Bucket: "it-images", Key: "copy/a", CopySource: "it-images/dir/a" }));
    const removed = await aws.s3.send(
      new DeleteObjectsCommand({ Bucket: "it-images", Delete: { Objects: [{ Key: "dir/a" }, { Key: "copy/a" }] } }),
    );
    expect(removed.Deleted?.map((d) => d.Key).sort()).toEqual(["copy/a", "dir/a"]);
  });

  it("accepts presigned PUT and GET URLs from plain fetch", async () => {
    const put = await getSignedUrl(aws.s3, new PutObjectCommand({ Bucket: "it-images", Key: "signed.txt" }), { expiresIn: 60 });
    expect((await fetch(put, { method: "PUT", body: "via presigned url" })).status).toBe(200);
    const get = await getSignedUrl(aws.s3, new GetObjectCommand({ Bucket: "it-images", Key: "signed.txt" }), { expiresIn: 60 });
    expect(await (await fetch(get)).text()).toBe("via presigned url");
  });

  it("moves version stages and resolves secrets by ARN; a deleted secret cannot be read", async () => {
    const created = await aws.secrets.send(new CreateSecretCommand({ Name: "it/api-key", SecretString: '{"keys":["one"]}' }));
    expect(created.ARN).toMatch(/:secret:it\/api-key-[A-Za-z0-9]{6}$/);
    await aws.secrets.send(new PutSecretValueCommand({ SecretId: "it/api-key", SecretString: '{"keys":["two","one"]}' }));
    expect((await aws.secrets.send(new GetSecretValueCommand({ SecretId: created.ARN }))).SecretString).toBe('{"keys":["two","one"]}');
    const previous = await aws.secrets.send(new GetSecretValueCommand({ SecretId: "it/api-key", VersionStage: "AWSPREVIOUS" }));
    expect(previous.SecretString).toBe('{"keys":["one"]}');
    await aws.secrets.send(new DeleteSecretCommand({ SecretId: "it/api-key", RecoveryWindowInDays: 7 }));
    const error = await aws.secrets.send(new GetSecretValueCommand({ SecretId: "it/api-key" })).catch((e) => e);
    expect(error.name).toBe("InvalidRequestException");
  });

  it("injects faults that look like the service's own errors, and reports them", async () => {
    const admin = { authorization: `Bearer ${emulator.adminToken}` };
    const res = await fetch(`${emulator.url}/_emulator/faults`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({
        service: "sqs",
        operation: "SendMessage",
        count: 1,
        error: { code: "ServiceUnavailable", status: 503, message: "try later" },
      }),
    });
    expect(res.status).toBe(201);
    const QueueUrl = `${emulator.url}/000000000000/it-jobs`;
    const error = await aws.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x" })).catch((e) => e);
    expect(error.name).toBe("ServiceUnavailable");
    expect(error.$metadata.httpStatusCode).toBe(503);
    await aws.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x" }));
    const report = await (await fetch(`${emulator.url}/_emulator/faults`, { headers: admin })).json();
    expect(report.faults[0].injected).toBe(1);
    expect(report.injections).toEqual([expect.objectContaining({ service: "sqs", operation: "SendMessage", error: "ServiceUnavailable" })]);
    emulator.faults.clear();
    expect(await (await fetch(`${emulator.url}/_emulator/health`, { headers: admin })).json()).toEqual({
      status: "ok",
      services: ["sqs", "secretsmanager", "s3"],
    });
  });

  it("aims an S3 fault at the objects under a key prefix, and refuses a key prefix elsewhere", async () => {
    const admin = { authorization: `Bearer ${emulator.adminToken}` };
    const Bucket = "it-fault-keys";
    await aws.s3.send(new CreateBucketCommand({ Bucket }));
    for (const Key of ["doomed/a.jpg", "fine/b.jpg"]) await aws.s3.send(new PutObjectCommand({ Bucket, Key, Body: "x" }));
    const added = await fetch(`${emulator.url}/_emulator/faults`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ service: "s3", operation: "GetObject", keyPrefix: "doomed/" }),
    });
    expect(added.status).toBe(201);
    const hit = await aws.s3.send(new GetObjectCommand({ Bucket, Key: "doomed/a.jpg" })).catch((e) => e);
    expect(hit.$metadata.httpStatusCode).toBe(500);
    const spared = await aws.s3.send(new GetObjectCommand({ Bucket, Key: "fine/b.jpg" }));
    expect(await spared.Body?.transformToString()).toBe("x");
    // A bucket-level call has no key: never hit by a key-aimed fault.
    const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket }));
    expect(listed.KeyCount).toBe(2);
    const report = await (await fetch(`${emulator.url}/_emulator/faults`, { headers: admin })).json();
    expect(report.injections).toEqual([expect.objectContaining({ service: "s3", operation: "GetObject", key: "doomed/a.jpg" })]);
    const refused = await fetch(`${emulator.url}/_emulator/faults`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ service: "sqs", keyPrefix: "doomed/" }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("keyPrefix");
    emulator.faults.clear();
  });
});

describe("emulator with IAM enforcement", () => {
  const worker = {
    name: "worker",
    accessKeyId: "AKIAWORKER0000000001",
    secretAccessKey: "worker-secret-0000000000000000000000000",
    statements: [
      { Effect: "Allow" as const, Action: ["sqs:SendMessage", "sqs:GetQueueUrl"], Resource: ["arn:aws:sqs:us-east-1:000000000000:iam-q"] },
    ],
  };
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, iam: { enforce: true, principals: [worker] } });
    await clients(emulator.url, emulator.iam.adminCredentials).sqs.send(new CreateQueueCommand({ QueueName: "iam-q" }));
  });
  afterAll(() => emulator.close());

  it("allows declared actions, denies others with AWS's message, and records every decision", async () => {
    const { sqs } = clients(emulator.url, worker);
    const QueueUrl = `${emulator.url}/000000000000/iam-q`;
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "ok" }));
    const denied = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] })).catch((e) => e);
    expect(denied.name).toBe("AccessDenied");
    expect(denied.message).toBe(
      "User: worker is not authorized to perform: sqs:GetQueueAttributes on resource: arn:aws:sqs:us-east-1:000000000000:iam-q",
    );
    const calls = await (
      await fetch(`${emulator.url}/_emulator/iam/calls`, { headers: { authorization: `Bearer ${emulator.adminToken}` } })
    ).json();
    expect(calls).toEqual(
      expect.arrayContaining([
        { principal: "worker", action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-1:000000000000:iam-q", allowed: true },
        { principal: "worker", action: "sqs:GetQueueAttributes", resource: "arn:aws:sqs:us-east-1:000000000000:iam-q", allowed: false },
      ]),
    );
  });

  it("refuses a wrong secret and an unknown key", async () => {
    const QueueUrl = `${emulator.url}/000000000000/iam-q`;
    const wrong = await clients(emulator.url, { ...worker, secretAccessKey: "nope" })
      .sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x" }))
      .catch((e) => e);
    expect(wrong.name).toBe("SignatureDoesNotMatch");
    const unknown = await clients(emulator.url)
      .s3.send(new CreateBucketCommand({ Bucket: "iam-bucket" }))
      .catch((e) => e);
    expect(unknown.name).toBe("InvalidAccessKeyId");
    expect(unknown.$metadata.httpStatusCode).toBe(403);
  });
});

describe("emulator persistence", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "emulator-it-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("keeps queues with in-flight messages, objects and secrets across a restart", async () => {
    const first = await startEmulator({ port: 0, dataDir });
    let aws = clients(first.url);
    const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: "durable" }));
    await aws.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "survives" }));
    await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 600 }));
    await aws.s3.send(new CreateBucketCommand({ Bucket: "durable-bucket" }));
    await aws.s3.send(new PutObjectCommand({ Bucket: "durable-bucket", Key: "k", Body: "kept" }));
    await aws.secrets.send(new CreateSecretCommand({ Name: "durable/secret", SecretString: "s" }));
    await first.close();

    const second = await startEmulator({ port: 0, dataDir });
    aws = clients(second.url);
    try {
      const url = `${second.url}/000000000000/durable`;
      const { Messages = [] } = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
      expect(Messages.map((m) => m.Body)).toEqual(["survives"]);
      const obj = await aws.s3.send(new GetObjectCommand({ Bucket: "durable-bucket", Key: "k" }));
      expect(await obj.Body!.transformToString()).toBe("kept");
      expect((await aws.secrets.send(new GetSecretValueCommand({ SecretId: "durable/secret" }))).SecretString).toBe("s");
    } finally {
      await second.close();
    }
  });
});

describe("emulator provisioning", () => {
  it("provisions pipeline.json's queues with redrive, buckets and secrets as the admin when IAM is on", async () => {
    const emulator = await startEmulator({
      port: 0,
      manifest: loadManifest(),
      secretValues: { "api-key": '{"keys":["k1"]}' },
      iam: { enforce: true, principals: [] },
    });
    try {
      const queue = emulator.resources!.queues["image-processing"];
      expect(queue.url).toBe(`${emulator.url}/000000000000/bluemoxon-local-image-processing`);
      const aws = clients(emulator.url, emulator.iam.adminCredentials);
      const attrs = await aws.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["RedrivePolicy", "VisibilityTimeout"] }),
      );
      expect(JSON.parse(attrs.Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: queue.dlqArn, maxReceiveCount: 5 });
      expect(attrs.Attributes!.VisibilityTimeout).toBe("720");
      const secret = await aws.secrets.send(new GetSecretValueCommand({ SecretId: "bluemoxon-local/api-key" }));
      expect(secret.SecretString).toBe('{"keys":["k1"]}');
      expect(emulator.iam.calls().every((c) => c.allowed && c.principal === "emulator-admin")).toBe(true);
    } finally {
      await emulator.close();
    }
  });
});
