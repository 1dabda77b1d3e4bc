/**
 * No request can poison the emulator's own objects: a parameter named `__proto__.admin`
 * (`constructor.prototype.admin`, …) once wrote to `Object.prototype` through the SQS query
 * parser, so one unsigned POST turned IAM off for every principal, or sent every S3 call to SQS.
 * These requests are now refused with the service's own error and change nothing.
 */
import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { type Emulator, startEmulator } from "@bluemoxon/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { formPost, rawRequest } from "./support/raw-request.ts";

const region = "us-east-1";
const worker = {
  name: "worker",
  accessKeyId: "AKIAWORKER0000000003",
  secretAccessKey: "worker-secret-000000000000000000000000000",
  statements: [{ Effect: "Allow" as const, Action: ["sqs:ReceiveMessage"], Resource: ["arn:aws:sqs:us-east-1:000000000000:jobs"] }],
};

/** Names set on Object.prototype (none, unless something wrote there). */
const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).filter((k) => !baseline.includes(k));
const baseline = Object.getOwnPropertyNames(Object.prototype);

let emulator: Emulator;
/** IAM off, as the CLI runs by default: every request reaches the parsers. */
let open: Emulator;
let admin: { s3: S3Client; sqs: SQSClient; secrets: SecretsManagerClient };
let workerSecrets: SecretsManagerClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, iam: { enforce: true, principals: [worker] } });
  open = await startEmulator({ port: 0 });
  const credentials = emulator.iam.adminCredentials;
  admin = {
    s3: new S3Client({ endpoint: emulator.url, region, credentials, forcePathStyle: true, maxAttempts: 1 }),
    sqs: new SQSClient({ endpoint: emulator.url, region, credentials, maxAttempts: 1 }),
    secrets: new SecretsManagerClient({ endpoint: emulator.url, region, credentials, maxAttempts: 1 }),
  };
  workerSecrets = new SecretsManagerClient({ endpoint: emulator.url, region, credentials: worker, maxAttempts: 1 });
  await admin.secrets.send(new CreateSecretCommand({ Name: "api-key", SecretString: '{"keys":["k-0123456789"]}' }));
  await admin.s3.send(new CreateBucketCommand({ Bucket: "photos" }));
});
afterAll(async () => {
  await emulator.close();
  await open.close();
});
afterEach(() => {
  // A failing run must not poison the next test's process-wide prototype.
  for (const k of prototypeKeys()) delete (Object.prototype as Record<string, unknown>)[k];
});

const workerReadsSecret = () =>
  workerSecrets.send(new GetSecretValueCommand({ SecretId: "api-key" })).then(
    () => "allowed",
    (e: Error) => e.name,
  );

describe("the SQS query protocol", () => {
  it.each([
    ["__proto__.admin=1"],
    ["constructor.prototype.admin=1"],
    ["Attribute.__proto__.admin=1"],
    ["Attribute.1.constructor.prototype.admin=1"],
  ])("refuses %s unsigned, and IAM still denies the worker the API key", async (param) => {
    expect(await workerReadsSecret()).toBe("AccessDeniedException");
    // With IAM on the unsigned POST is refused before its body is read; with IAM off its parser refuses it.
    const signedOnly = await formPost(emulator.url, `Action=ListQueues&${param}`);
    const parsed = await formPost(open.url, `Action=ListQueues&${param}`);
    // Before: "allowed" — either POST had set Object.prototype.admin.
    expect(await workerReadsSecret()).toBe("AccessDeniedException");
    expect(prototypeKeys()).toEqual([]);
    expect(signedOnly.status).toBe(403);
    expect(signedOnly.body).toContain("<Code>MissingAuthenticationToken</Code>");
    expect(parsed.status).toBe(400);
    expect(parsed.headers["content-type"]).toBe("text/xml");
    expect(parsed.body).toContain("<Code>InvalidQueryParameter</Code>");
  });

  it("cannot send every S3 call to SQS", async () => {
    const answer = await formPost(open.url, "Action=ListQueues&__proto__.x-amz-target=AmazonSQS.ListQueues");
    // Before: S3's ListBuckets came back as SQS's answer (every request's headers inherited an x-amz-target).
    const buckets = await admin.s3.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).toEqual(["photos"]);
    expect(prototypeKeys()).toEqual([]);
    expect(answer.status).toBe(400);
  });

  it("refuses the same names in the query string", async () => {
    // A GET must carry a SigV4 Authorization header (IAM off: present, not checked) to reach the parser at all.
    const authorization = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00";
    const answer = await rawRequest(open.url, { method: "GET", path: "/?Action=ListQueues&prototype.x=1", headers: { authorization } });
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("<Code>InvalidQueryParameter</Code>");
  });
});

describe("the JSON protocols", () => {
  it("keep map keys named __proto__, constructor or prototype as data (SQS tags), and change no prototype", async () => {
    // IAM off (the CLI's default): the raw JSON below goes unsigned. (The SDK itself drops a "__proto__" map key.)
    const sqsJson = (operation: string, body: string) =>
      rawRequest(open.url, {
        method: "POST",
        path: "/",
        headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": `AmazonSQS.${operation}` },
        body,
      });
    const created = await sqsJson("CreateQueue", '{"QueueName":"tagged","tags":{"constructor":"c","team":"books"}}');
    expect(created.status).toBe(200);
    const { QueueUrl } = JSON.parse(created.body) as { QueueUrl: string };
    // TagQueue copied tags with Object.assign, whose "__proto__" set the tag map's prototype instead of a tag.
    expect(
      (await sqsJson("TagQueue", JSON.stringify({ QueueUrl }).replace("}", ',"Tags":{"__proto__":"yes","prototype":"p"}}'))).status,
    ).toBe(200);
    const listed = await sqsJson("ListQueueTags", JSON.stringify({ QueueUrl }));
    expect(Object.entries((JSON.parse(listed.body) as { Tags: Record<string, string> }).Tags).sort()).toEqual([
      ["__proto__", "yes"],
      ["constructor", "c"],
      ["prototype", "p"],
      ["team", "books"],
    ]);
    expect(prototypeKeys()).toEqual([]);
  });

  it("read Secrets Manager members named __proto__ and constructor as unknown members, changing nothing", async () => {
    const secret = await rawRequest(open.url, {
      method: "POST",
      path: "/",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.ListSecrets" },
      body: '{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}}}',
    });
    expect(secret.status).toBe(200);
    expect(prototypeKeys()).toEqual([]);
    expect(await workerReadsSecret()).toBe("AccessDeniedException");
  });
});
