/**
 * Real requests as the AWS SDK v3 serialises and signs them, captured instead of sent: each
 * client gets a request handler that records the HTTP request and fails the call. The fuzz test
 * mutates these.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from "@aws-sdk/client-secrets-manager";
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  TagQueueCommand,
} from "@aws-sdk/client-sqs";

export interface WireRequest {
  method: string;
  /** Path and query, as sent. */
  target: string;
  headers: Record<string, string>;
  body: Buffer;
}

interface SdkHttpRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

const strict = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

function toWire(r: SdkHttpRequest, body: Buffer): WireRequest {
  const pairs: string[] = [];
  for (const [k, v] of Object.entries(r.query ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) pairs.push(one === null ? strict(k) : `${strict(k)}=${strict(one)}`);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
  return { method: r.method, target: `${r.path}${pairs.length ? `?${pairs.join("&")}` : ""}`, headers, body };
}

/** Captures the requests the SDK's serializers and signer produce for a representative set of calls to `url`. */
export async function captureSdkRequests(
  url: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<WireRequest[]> {
  const captured: WireRequest[] = [];
  const requestHandler = {
    metadata: { handlerProtocol: "http/1.1" },
    async handle(request: SdkHttpRequest): Promise<never> {
      captured.push(toWire(request, await bodyBytes(request.body)));
      throw new Error("captured");
    },
  };
  const common = { endpoint: url, region: "us-east-1", credentials, maxAttempts: 1, requestHandler };
  const sqs = new SQSClient(common);
  const secrets = new SecretsManagerClient(common);
  const s3 = new S3Client({ ...common, forcePathStyle: true });
  const queue = `${url}/000000000000/fuzz`;
  const calls: Promise<unknown>[] = [
    sqs.send(new CreateQueueCommand({ QueueName: "fuzz", Attributes: { VisibilityTimeout: "30" }, tags: { team: "books" } })),
    sqs.send(
      new SendMessageCommand({
        QueueUrl: queue,
        MessageBody: '{"v":1,"jobId":"j"}',
        MessageAttributes: { kind: { DataType: "String", StringValue: "photo" } },
      }),
    ),
    sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue,
        Entries: [
          { Id: "a", MessageBody: "one" },
          { Id: "b", MessageBody: "two" },
        ],
      }),
    ),
    sqs.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 2, MessageAttributeNames: ["All"] })),
    sqs.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: "aGFuZGxl" })),
    sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue, ReceiptHandle: "aGFuZGxl", VisibilityTimeout: 5 })),
    sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue, Attributes: { DelaySeconds: "1" } })),
    sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue, AttributeNames: ["All"] })),
    sqs.send(new TagQueueCommand({ QueueUrl: queue, Tags: { env: "local" } })),
    sqs.send(new ListQueuesCommand({ QueueNamePrefix: "f" })),
    sqs.send(new PurgeQueueCommand({ QueueUrl: queue })),
    sqs.send(new DeleteQueueCommand({ QueueUrl: queue })),
    secrets.send(new CreateSecretCommand({ Name: "fuzz", SecretString: '{"keys":["k"]}', Tags: [{ Key: "a", Value: "b" }] })),
    secrets.send(new GetSecretValueCommand({ SecretId: "fuzz" })),
    secrets.send(new PutSecretValueCommand({ SecretId: "fuzz", SecretString: "next" })),
    secrets.send(new DescribeSecretCommand({ SecretId: "fuzz" })),
    secrets.send(new ListSecretsCommand({ MaxResults: 5 })),
    secrets.send(new TagResourceCommand({ SecretId: "fuzz", Tags: [{ Key: "c", Value: "d" }] })),
    secrets.send(new DeleteSecretCommand({ SecretId: "fuzz", ForceDeleteWithoutRecovery: true })),
    s3.send(new CreateBucketCommand({ Bucket: "fuzz" })),
    s3.send(new PutObjectCommand({ Bucket: "fuzz", Key: "books/1/photo.jpg", Body: "jpeg bytes", ContentType: "image/jpeg" })),
    s3.send(new GetObjectCommand({ Bucket: "fuzz", Key: "books/1/photo.jpg", Range: "bytes=0-3" })),
    s3.send(new HeadObjectCommand({ Bucket: "fuzz", Key: "books/1/photo.jpg" })),
    s3.send(new ListObjectsV2Command({ Bucket: "fuzz", Prefix: "books/", Delimiter: "/" })),
    s3.send(new CopyObjectCommand({ Bucket: "fuzz", Key: "copy.jpg", CopySource: "fuzz/books/1/photo.jpg" })),
    s3.send(new DeleteObjectsCommand({ Bucket: "fuzz", Delete: { Objects: [{ Key: "copy.jpg" }] } })),
    s3.send(new CreateMultipartUploadCommand({ Bucket: "fuzz", Key: "big.bin" })),
    s3.send(new UploadPartCommand({ Bucket: "fuzz", Key: "big.bin", UploadId: "u1", PartNumber: 1, Body: "part" })),
    s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: "fuzz",
        Key: "big.bin",
        UploadId: "u1",
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"e"' }] },
      }),
    ),
    s3.send(
      new PutBucketCorsCommand({
        Bucket: "fuzz",
        CORSConfiguration: { CORSRules: [{ AllowedOrigins: ["http://localhost:3000"], AllowedMethods: ["GET"] }] },
      }),
    ),
    s3.send(new DeleteObjectCommand({ Bucket: "fuzz", Key: "books/1/photo.jpg" })),
  ];
  for (const call of calls) await call.catch(() => undefined);
  for (const c of [sqs, secrets, s3]) c.destroy();
  return captured;
}

/** Query-protocol requests as older SDKs and the AWS CLI form them (SDK v3 no longer speaks it to SQS). */
export function queryRequests(url: string): WireRequest[] {
  const queue = `${url}/000000000000/fuzz`;
  const host = new URL(url).host;
  const forms = [
    "Action=CreateQueue&QueueName=fuzz&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=30&Tag.1.Key=team&Tag.1.Value=books",
    `Action=SendMessage&QueueUrl=${strict(queue)}&MessageBody=hello&MessageAttribute.1.Name=kind&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=photo`,
    `Action=SendMessageBatch&QueueUrl=${strict(queue)}&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=one`,
    `Action=ReceiveMessage&QueueUrl=${strict(queue)}&MaxNumberOfMessages=2&AttributeName.1=All`,
    `Action=DeleteMessageBatch&QueueUrl=${strict(queue)}&DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.1.ReceiptHandle=aGFuZGxl`,
    `Action=SetQueueAttributes&QueueUrl=${strict(queue)}&Attribute.1.Name=DelaySeconds&Attribute.1.Value=1`,
    `Action=GetQueueAttributes&QueueUrl=${strict(queue)}&AttributeName.1=All`,
    "Action=ListQueues&QueueNamePrefix=f",
    `Action=DeleteQueue&QueueUrl=${strict(queue)}`,
  ];
  return forms.map((form) => ({
    method: "POST",
    target: "/",
    headers: { host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body: Buffer.from(`${form}&Version=2012-11-05`),
  }));
}
