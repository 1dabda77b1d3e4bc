import { createHash, createHmac } from "node:crypto";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import { type SignedRequest, verifyRequestSignature } from "./sigv4.ts";

// Requests are signed by the real SDK and captured before they leave the process: no network.
const keyId = "AKIAIOSFODNN7EXAMPLE";
const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const lookup = (id: string) => (id === keyId ? secret : undefined);
const endpoint = "http://127.0.0.1:4566";
const common = { region: "us-east-1", endpoint, credentials: { accessKeyId: keyId, secretAccessKey: secret }, maxAttempts: 1 };

const toBuffer = (data: string | ArrayBuffer | ArrayBufferView): Buffer =>
  typeof data === "string"
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

class NodeSha256 {
  private readonly hash;
  constructor(secretKey?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secretKey ? createHmac("sha256", toBuffer(secretKey)) : createHash("sha256");
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

class Captured extends Error {
  constructor(readonly request: SignedRequest) {
    super("captured");
  }
}

type SmithyRequest = {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
};

function wireQuery(query: SmithyRequest["query"] = {}): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (Array.isArray(v)) for (const item of v) parts.push(`${enc(k)}=${enc(item)}`);
    else if (v === null) parts.push(enc(k));
    else parts.push(`${enc(k)}=${enc(v)}`);
  }
  return parts.join("&");
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

const capturingHandler = {
  async handle(request: SmithyRequest): Promise<never> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
    headers.host ??= "127.0.0.1:4566";
    const body = await bodyBytes(request.body);
    throw new Captured({
      method: request.method,
      rawPath: request.path,
      rawQuery: wireQuery(request.query),
      headers,
      payloadHash: createHash("sha256").update(body).digest("hex"),
    });
  },
};

async function capture(send: () => Promise<unknown>): Promise<SignedRequest> {
  try {
    await send();
  } catch (error) {
    if (error instanceof Captured) return error.request;
    throw error;
  }
  throw new Error("request was not captured");
}

const sqs = new SQSClient({ ...common, requestHandler: capturingHandler as never });
const s3 = new S3Client({ ...common, forcePathStyle: true, requestHandler: capturingHandler as never });
const secrets = new SecretsManagerClient({ ...common, requestHandler: capturingHandler as never });

function presignedParts(url: string): SignedRequest {
  const { host } = new URL(url);
  const rest = url.slice(url.indexOf(host) + host.length);
  const q = rest.indexOf("?");
  return {
    method: "GET",
    rawPath: rest.slice(0, q),
    rawQuery: rest.slice(q + 1),
    headers: { host },
    payloadHash: createHash("sha256").update("").digest("hex"),
  };
}

describe("verifyRequestSignature with header-signed SDK requests", () => {
  it("accepts SQS (JSON protocol) and Secrets Manager requests signed with the right secret", async () => {
    const send = await capture(() => sqs.send(new SendMessageCommand({ QueueUrl: `${endpoint}/000000000000/q`, MessageBody: "hi" })));
    expect(send.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-east-1\/sqs\//);
    expect(verifyRequestSignature(send, lookup)).toEqual({ ok: true, accessKeyId: keyId });
    const attrs = await capture(() => sqs.send(new GetQueueAttributesCommand({ QueueUrl: `${endpoint}/000000000000/q` })));
    expect(verifyRequestSignature(attrs, lookup)).toEqual({ ok: true, accessKeyId: keyId });
    const get = await capture(() => secrets.send(new GetSecretValueCommand({ SecretId: "bluemoxon-local/api-key" })));
    expect(verifyRequestSignature(get, lookup)).toEqual({ ok: true, accessKeyId: keyId });
  });

  it("accepts S3 requests whose keys need encoding (S3 encodes the path once)", async () => {
    const key = "originals/book 1/ä (copy)+*!.jpg";
    const put = await capture(() => s3.send(new PutObjectCommand({ Bucket: "b", Key: key, Body: Buffer.from("bytes") })));
    expect(put.rawPath).toContain("%20");
    expect(verifyRequestSignature(put, lookup)).toMatchObject({ ok: true });
    const get = await capture(() => s3.send(new GetObjectCommand({ Bucket: "b", Key: key, Range: "bytes=0-1" })));
    expect(verifyRequestSignature(get, lookup)).toMatchObject({ ok: true });
  });

  it("accepts an S3 streaming upload signed as STREAMING-UNSIGNED-PAYLOAD-TRAILER", async () => {
    const { Readable } = await import("node:stream");
    const put = await capture(() =>
      s3.send(new PutObjectCommand({ Bucket: "b", Key: "k", Body: Readable.from([Buffer.from("abc")]), ContentLength: 3 })),
    );
    expect(put.headers["x-amz-content-sha256"]).toBe("STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    expect(verifyRequestSignature(put, lookup)).toMatchObject({ ok: true });
  });

  it("signs the declared payload hash: changing x-amz-content-sha256 breaks the signature", async () => {
    const req = await capture(() => s3.send(new GetObjectCommand({ Bucket: "b", Key: "k" })));
    expect(
      verifyRequestSignature({ ...req, headers: { ...req.headers, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } }, lookup),
    ).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  });

  it("refuses a wrong secret, an unknown key, a tampered header, path, query or body", async () => {
    const req = await capture(() => sqs.send(new SendMessageCommand({ QueueUrl: `${endpoint}/000000000000/q`, MessageBody: "hi" })));
    expect(verifyRequestSignature(req, () => "not-the-secret")).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    expect(verifyRequestSignature(req, () => undefined)).toMatchObject({ ok: false, code: "InvalidClientTokenId" });
    const tampered = { ...req, headers: { ...req.headers, "x-amz-target": "AmazonSQS.PurgeQueue" } };
    expect(verifyRequestSignature(tampered, lookup)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    expect(verifyRequestSignature({ ...req, rawPath: "/other" }, lookup)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    expect(verifyRequestSignature({ ...req, rawQuery: "a=b" }, lookup)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    const otherBody = createHash("sha256").update("tampered").digest("hex");
    expect(verifyRequestSignature({ ...req, payloadHash: otherBody }, lookup)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  });

  it("refuses an S3 body that does not match its signed x-amz-content-sha256", async () => {
    const put = await capture(() => s3.send(new PutObjectCommand({ Bucket: "b", Key: "k", Body: Buffer.from("original") })));
    if (/^[0-9a-f]{64}$/.test(put.headers["x-amz-content-sha256"] ?? "")) {
      const otherBody = createHash("sha256").update("swapped").digest("hex");
      expect(verifyRequestSignature({ ...put, payloadHash: otherBody }, lookup)).toMatchObject({
        ok: false,
        code: "SignatureDoesNotMatch",
      });
    }
    expect(verifyRequestSignature({ ...put, headers: { ...put.headers, "x-amz-content-sha256": "0".repeat(64) } }, lookup)).toMatchObject({
      ok: false,
      code: "SignatureDoesNotMatch",
    });
  });

  it("refuses requests outside the 15-minute clock skew and unsigned requests", async () => {
    const req = await capture(() => sqs.send(new SendMessageCommand({ QueueUrl: `${endpoint}/000000000000/q`, MessageBody: "hi" })));
    const later = new Date(Date.now() + 16 * 60 * 1000);
    expect(verifyRequestSignature(req, lookup, later)).toMatchObject({ ok: false, code: "RequestExpired" });
    expect(verifyRequestSignature(req, lookup, new Date(Date.now() + 14 * 60 * 1000))).toMatchObject({ ok: true });
    const { authorization: _, ...unsigned } = req.headers;
    expect(verifyRequestSignature({ ...req, headers: unsigned }, lookup)).toMatchObject({ ok: false, code: "MissingAuthenticationToken" });
  });
});

describe("verifyRequestSignature with other services' paths", () => {
  it("double-encodes non-S3 paths the way the SDK signer does", async () => {
    const signer = new SignatureV4({ service: "execute-api", region: "eu-west-1", credentials: common.credentials, sha256: NodeSha256 });
    const signed = await signer.sign(
      new HttpRequest({
        method: "GET",
        hostname: "127.0.0.1",
        port: 4566,
        path: "/a%20b/./c/",
        query: { z: "1", a: ["2", "1"] },
        headers: { host: "127.0.0.1:4566" },
      }),
    );
    const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const req = {
      method: "GET",
      rawPath: "/a%20b/./c/",
      rawQuery: "z=1&a=2&a=1",
      headers,
      payloadHash: createHash("sha256").update("").digest("hex"),
    };
    expect(verifyRequestSignature(req, lookup)).toMatchObject({ ok: true });
    expect(verifyRequestSignature({ ...req, rawQuery: "z=1&a=2" }, lookup)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  });
});

describe("verifyRequestSignature with presigned URLs", () => {
  it("accepts a presigned GET and PUT until they expire, then refuses them", async () => {
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "b", Key: "a b/c.png" }), { expiresIn: 60 });
    const get = presignedParts(getUrl);
    expect(get.rawQuery).toContain("X-Amz-Signature=");
    expect(verifyRequestSignature(get, lookup)).toEqual({ ok: true, accessKeyId: keyId });
    expect(verifyRequestSignature(get, lookup, new Date(Date.now() + 61_000))).toMatchObject({
      ok: false,
      code: "AccessDenied",
      message: "Request has expired",
    });

    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: "b", Key: "k.png" }), { expiresIn: 300 });
    const put = { ...presignedParts(putUrl), method: "PUT", payloadHash: createHash("sha256").update("any body").digest("hex") };
    expect(verifyRequestSignature(put, lookup)).toMatchObject({ ok: true });
    expect(verifyRequestSignature({ ...put, method: "DELETE" }, lookup)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  });

  it("refuses a presigned URL with a wrong secret or a tampered parameter", async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "b", Key: "k" }), { expiresIn: 60 });
    const req = presignedParts(url);
    expect(verifyRequestSignature(req, () => "wrong")).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    const longer = { ...req, rawQuery: req.rawQuery.replace("X-Amz-Expires=60", "X-Amz-Expires=600") };
    expect(verifyRequestSignature(longer, lookup)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    expect(verifyRequestSignature({ ...req, rawPath: "/b/other" }, lookup)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  });
});
