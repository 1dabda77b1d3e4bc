/**
 * What a web page the developer visits can do to a running emulator, with IAM off as the CLI runs
 * it: the requests a browser sends without a preflight (a form POST, a `text/plain` fetch, an
 * `<img>`), a preflight, and a DNS-rebound host name — sent here as a browser sends them (its
 * `Origin` and `Sec-Fetch-Site` headers). None of them may change or read anything; S3 answers
 * what its bucket's CORS configuration allows, as AWS does. tests/browser/ does the same from a
 * real Chromium.
 */
import { CreateBucketCommand, GetObjectCommand, PutBucketCorsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateQueueCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type Emulator, startEmulator } from "@bluemoxon/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formPost, rawRequest } from "./support/raw-request.ts";

const region = "us-east-1";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const secretValue = '{"keys":["page-must-never-see-this"]}';
const evil = "http://evil.example";
const app = "http://app.example:3000";

let emulator: Emulator;
let sqs: SQSClient;
let s3: S3Client;
let queueUrl: string;

const queueExists = () =>
  sqs.send(new GetQueueUrlCommand({ QueueName: "jobs" })).then(
    () => true,
    () => false,
  );
const objectText = (Bucket: string, Key: string) =>
  s3.send(new GetObjectCommand({ Bucket, Key })).then(
    (o) => o.Body!.transformToString(),
    (e: Error) => e.name,
  );

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  sqs = new SQSClient({ endpoint: emulator.url, region, credentials, maxAttempts: 1 });
  s3 = new S3Client({ endpoint: emulator.url, region, credentials, forcePathStyle: true, maxAttempts: 1 });
  const secrets = new SecretsManagerClient({ endpoint: emulator.url, region, credentials, maxAttempts: 1 });
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "jobs" }))).QueueUrl!;
  await secrets.send(new CreateSecretCommand({ Name: "api-key", SecretString: secretValue }));
  for (const Bucket of ["photos", "shared"]) {
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutObjectCommand({ Bucket, Key: "a.jpg", Body: "original" }));
  }
  await s3.send(
    new PutBucketCorsCommand({
      Bucket: "shared",
      CORSConfiguration: {
        CORSRules: [{ AllowedOrigins: [app], AllowedMethods: ["GET", "PUT"], AllowedHeaders: ["content-type"], MaxAgeSeconds: 600 }],
      },
    }),
  );
});
afterAll(() => emulator.close());

const page = (origin: string) => ({ origin, "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors" });

describe("a page on another site, IAM off", () => {
  it("cannot delete a queue with a form POST (before: 200, queue gone)", async () => {
    const answer = await formPost(emulator.url, `Action=DeleteQueue&QueueUrl=${encodeURIComponent(queueUrl)}`, {
      ...page(evil),
      "sec-fetch-mode": "navigate",
    });
    expect(await queueExists()).toBe(true);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain("<Code>AccessDenied</Code>");
  });

  it("cannot delete a queue with an <img> GET, which carries no Origin", async () => {
    const answer = await rawRequest(emulator.url, {
      method: "GET",
      path: `/?Action=DeleteQueue&QueueUrl=${encodeURIComponent(queueUrl)}`,
      headers: { "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors", "sec-fetch-dest": "image" },
    });
    expect(await queueExists()).toBe(true);
    expect(answer.status).toBe(403);
  });

  it("cannot delete a queue with an <img> GET from an older browser, which sends neither Origin nor Sec-Fetch-Site (before: 200)", async () => {
    const img = await rawRequest(emulator.url, { method: "GET", path: `/?Action=DeleteQueue&QueueUrl=${encodeURIComponent(queueUrl)}` });
    // A forged query-string signature, which nobody checks with IAM off, does not pass either.
    const forged = await rawRequest(emulator.url, {
      method: "GET",
      path: `/?Action=DeleteQueue&QueueUrl=${encodeURIComponent(queueUrl)}&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20260101%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Signature=00`,
    });
    expect(await queueExists()).toBe(true);
    expect([img.status, forged.status]).toEqual([403, 403]);
    expect(img.body).toContain("MissingAuthenticationToken");
  });

  it("cannot read a secret with a text/plain fetch, nor get a preflight through for it (before: 200 with the value)", async () => {
    const read = await rawRequest(emulator.url, {
      method: "POST",
      path: "/",
      headers: { ...page(evil), "content-type": "text/plain;charset=UTF-8", "x-amz-target": "secretsmanager.GetSecretValue" },
      body: '{"SecretId":"api-key"}',
    });
    expect(read.body).not.toContain("page-must-never-see-this");
    expect(read.status).toBe(400);
    expect(read.headers["x-amzn-errortype"]).toBe("AccessDeniedException");
    expect(read.headers["access-control-allow-origin"]).toBeUndefined();
    const preflight = await rawRequest(emulator.url, {
      method: "OPTIONS",
      path: "/",
      headers: { ...page(evil), "access-control-request-method": "POST", "access-control-request-headers": "content-type,x-amz-target" },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("cannot write or delete S3 objects of a bucket without CORS, nor of one whose CORS names another origin", async () => {
    for (const bucket of ["photos", "shared"]) {
      const put = await rawRequest(emulator.url, {
        method: "PUT",
        path: `/${bucket}/a.jpg`,
        headers: { ...page(evil), "content-type": "text/plain" },
        body: "defaced",
      });
      expect(put.status).toBe(403);
      expect(put.body).toContain("<Code>AccessForbidden</Code>");
      const del = await rawRequest(emulator.url, {
        method: "POST",
        path: `/${bucket}?delete`,
        headers: { ...page(evil), "content-type": "text/plain" },
        body: "<Delete><Object><Key>a.jpg</Key></Object></Delete>",
      });
      expect(del.status).toBe(403);
      expect(await objectText(bucket, "a.jpg")).toBe("original");
    }
  });

  it("is refused under a rebound host name on every service, before anything happens", async () => {
    const host = `rebind.evil.example:${emulator.port}`;
    const sqsAnswer = await formPost(emulator.url, `Action=DeleteQueue&QueueUrl=${encodeURIComponent(queueUrl)}`, { host });
    const secretAnswer = await rawRequest(emulator.url, {
      method: "POST",
      path: "/",
      headers: { host, "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.GetSecretValue" },
      body: '{"SecretId":"api-key"}',
    });
    const s3Answer = await rawRequest(emulator.url, { method: "GET", path: "/photos/a.jpg", headers: { host } });
    expect(await queueExists()).toBe(true);
    expect([sqsAnswer.status, secretAnswer.status, s3Answer.status]).toEqual([403, 400, 403]);
    expect(secretAnswer.body).not.toContain("page-must-never-see-this");
    expect(s3Answer.body).not.toContain("original");
  });
});

describe("S3 answers as its bucket's CORS configuration says", () => {
  it("a preflight: allowed origin, method and headers get S3's headers; anything else S3's 403", async () => {
    const preflight = (bucket: string, origin: string, method: string, headers = "content-type") =>
      rawRequest(emulator.url, {
        method: "OPTIONS",
        path: `/${bucket}/a.jpg`,
        headers: { ...page(origin), "access-control-request-method": method, "access-control-request-headers": headers },
      });
    const ok = await preflight("shared", app, "PUT");
    expect(ok.status).toBe(200);
    expect(ok.headers).toMatchObject({
      "access-control-allow-origin": app,
      "access-control-allow-methods": "GET, PUT",
      "access-control-allow-headers": "content-type",
      "access-control-max-age": "600",
    });
    const noCors = await preflight("photos", app, "PUT");
    expect(noCors.status).toBe(403);
    expect(noCors.body).toContain("CORS is not enabled for this bucket");
    for (const denied of [
      await preflight("shared", evil, "PUT"),
      await preflight("shared", app, "DELETE"),
      await preflight("shared", app, "PUT", "x-amz-acl"),
    ]) {
      expect(denied.status).toBe(403);
      expect(denied.headers["access-control-allow-origin"]).toBeUndefined();
    }
  });

  it("the actual request from an allowed origin runs and carries the CORS headers", async () => {
    const put = await rawRequest(emulator.url, {
      method: "PUT",
      path: "/shared/from-app.txt",
      headers: { ...page(app), "content-type": "text/plain" },
      body: "uploaded by the app",
    });
    expect(put.status).toBe(200);
    expect(put.headers["access-control-allow-origin"]).toBe(app);
    expect(await objectText("shared", "from-app.txt")).toBe("uploaded by the app");
  });

  it("an <img> GET (no Origin) of an object loads, as the dashboard's photos do", async () => {
    const img = await rawRequest(emulator.url, {
      method: "GET",
      path: "/photos/a.jpg",
      headers: { "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors", "sec-fetch-dest": "image" },
    });
    expect(img.status).toBe(200);
    expect(img.body).toBe("original");
  });
});
