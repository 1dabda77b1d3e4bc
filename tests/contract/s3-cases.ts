/**
 * S3 through SDK v3 with path-style addressing and the SDK's default checksum settings (CRC32
 * headers for buffers, aws-chunked with a trailing checksum for streams), plus lib-storage
 * multipart and presigned URLs used from plain fetch.
 */
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { XMLParser } from "fast-xml-parser";
import { expect } from "vitest";
import { awsError, sleep } from "./aws-error.ts";
import type { ContractCase } from "./contract-case.ts";
import type { ContractContext } from "./contract-context.ts";

const md5Hex = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");
const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** S3's CRC32 checksum form: the big-endian 4 bytes, base64. */
function crc32Base64(bytes: Uint8Array): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(bytes));
  return out.toString("base64");
}

async function createBucket(ctx: ContractContext, prefix = "bucket"): Promise<string> {
  const Bucket = ctx.uniqueName(prefix);
  await ctx.s3.send(new CreateBucketCommand({ Bucket }));
  return Bucket;
}

async function getBytes(ctx: ContractContext, Bucket: string, Key: string): Promise<Buffer> {
  const out = await ctx.s3.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** A deterministic-length stream of random bytes, delivered in 64 KiB chunks, that also hashes what it yields. */
function randomStream(size: number): { stream: Readable; digest: () => string } {
  const hash = createHash("sha256");
  async function* chunks() {
    for (let sent = 0; sent < size; ) {
      const chunk = randomBytes(Math.min(64 * 1024, size - sent));
      hash.update(chunk);
      sent += chunk.length;
      yield chunk;
    }
  }
  return { stream: Readable.from(chunks()), digest: () => hash.digest("hex") };
}

export function s3Cases(contractCase: ContractCase): void {
  contractCase("s3: CreateBucket, HeadBucket, ListBuckets, and re-creating an own bucket in us-east-1 succeeds", async (ctx) => {
    const Bucket = await createBucket(ctx);
    const head = await ctx.s3.send(new HeadBucketCommand({ Bucket }));
    expect(head.$metadata.httpStatusCode).toBe(200);
    const list = await ctx.s3.send(new ListBucketsCommand({}));
    expect((list.Buckets ?? []).map((b) => b.Name)).toContain(Bucket);
    const again = await ctx.s3.send(new CreateBucketCommand({ Bucket }));
    expect(again.$metadata.httpStatusCode).toBe(200);
  });

  contractCase(
    "s3: a Buffer body is stored byte for byte with the default CRC32 checksum, returned with ChecksumMode ENABLED",
    async (ctx) => {
      const Bucket = await createBucket(ctx);
      const body = randomBytes(70_000);
      const put = await ctx.s3.send(new PutObjectCommand({ Bucket, Key: "photos/raw.bin", Body: body }));
      expect(put.ETag).toBe(`"${md5Hex(body)}"`);
      expect(put.ChecksumCRC32).toBe(crc32Base64(body));
      const got = await ctx.s3.send(new GetObjectCommand({ Bucket, Key: "photos/raw.bin", ChecksumMode: "ENABLED" }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(bytes.length).toBe(body.length);
      expect(sha256Hex(bytes)).toBe(sha256Hex(body));
      expect(got.ChecksumCRC32).toBe(crc32Base64(body));
      expect(got.ETag).toBe(put.ETag);
    },
  );

  contractCase("s3: a stream body (aws-chunked, trailing checksum) is stored byte for byte", async (ctx) => {
    const Bucket = await createBucket(ctx);
    const size = 300_000;
    const { stream, digest } = randomStream(size);
    await ctx.s3.send(new PutObjectCommand({ Bucket, Key: "stream.bin", Body: stream, ContentLength: size }));
    const bytes = await getBytes(ctx, Bucket, "stream.bin");
    expect(bytes.length).toBe(size);
    expect(sha256Hex(bytes)).toBe(digest());
    const head = await ctx.s3.send(new HeadObjectCommand({ Bucket, Key: "stream.bin", ChecksumMode: "ENABLED" }));
    expect(head.ContentLength).toBe(size);
    expect(head.ChecksumCRC32).toBe(crc32Base64(bytes));
  });

  contractCase("s3: content-type and user metadata round trip through HeadObject and GetObject", async (ctx) => {
    const Bucket = await createBucket(ctx);
    const Body = Buffer.from("not really a png");
    await ctx.s3.send(
      new PutObjectCommand({ Bucket, Key: "a b/ü.png", Body, ContentType: "image/png", Metadata: { "book-id": "42", source: "ebay" } }),
    );
    const head = await ctx.s3.send(new HeadObjectCommand({ Bucket, Key: "a b/ü.png" }));
    expect(head.ContentType).toBe("image/png");
    expect(head.ContentLength).toBe(Body.length);
    expect(head.Metadata).toEqual({ "book-id": "42", source: "ebay" });
    expect(head.ETag).toBe(`"${md5Hex(Body)}"`);
    expect(head.LastModified).toBeInstanceOf(Date);
    const got = await ctx.s3.send(new GetObjectCommand({ Bucket, Key: "a b/ü.png" }));
    expect(got.ContentType).toBe("image/png");
    expect(got.Metadata).toEqual({ "book-id": "42", source: "ebay" });
    expect(await got.Body!.transformToString()).toBe("not really a png");
  });

  contractCase("s3: DeleteObject removes the key (and deleting a missing key succeeds); GetObject is then NoSuchKey", async (ctx) => {
    const Bucket = await createBucket(ctx);
    await ctx.s3.send(new PutObjectCommand({ Bucket, Key: "gone.txt", Body: "x" }));
    const del = await ctx.s3.send(new DeleteObjectCommand({ Bucket, Key: "gone.txt" }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    const again = await ctx.s3.send(new DeleteObjectCommand({ Bucket, Key: "never-there.txt" }));
    expect(again.$metadata.httpStatusCode).toBe(204);
    const err = await awsError(ctx.s3.send(new GetObjectCommand({ Bucket, Key: "gone.txt" })));
    expect(err.name).toBe("NoSuchKey");
    expect(err.$metadata?.httpStatusCode).toBe(404);
    const head = await awsError(ctx.s3.send(new HeadObjectCommand({ Bucket, Key: "gone.txt" })));
    expect(head.$metadata?.httpStatusCode).toBe(404);
  });

  contractCase("s3: DeleteObjects deletes several keys and reports each", async (ctx) => {
    const Bucket = await createBucket(ctx);
    for (const Key of ["k1", "k2", "k3"]) await ctx.s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
    const out = await ctx.s3.send(
      new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: "k1" }, { Key: "k2" }, { Key: "k3" }, { Key: "missing" }] } }),
    );
    expect((out.Deleted ?? []).map((d) => d.Key).sort()).toEqual(["k1", "k2", "k3", "missing"]);
    expect(out.Errors ?? []).toEqual([]);
    const list = await ctx.s3.send(new ListObjectsV2Command({ Bucket }));
    expect(list.KeyCount).toBe(0);
    expect(list.Contents ?? []).toEqual([]);
  });

  contractCase("s3: CopyObject copies bytes and metadata, or replaces metadata with REPLACE", async (ctx) => {
    const Bucket = await createBucket(ctx);
    const Body = randomBytes(10_000);
    await ctx.s3.send(new PutObjectCommand({ Bucket, Key: "src/ä.bin", Body, ContentType: "image/jpeg", Metadata: { origin: "ebay" } }));
    const copied = await ctx.s3.send(
      new CopyObjectCommand({ Bucket, Key: "dst/copy.bin", CopySource: `${Bucket}/${encodeURIComponent("src/ä.bin")}` }),
    );
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5Hex(Body)}"`);
    const head = await ctx.s3.send(new HeadObjectCommand({ Bucket, Key: "dst/copy.bin" }));
    expect(head.ContentType).toBe("image/jpeg");
    expect(head.Metadata).toEqual({ origin: "ebay" });
    expect((await getBytes(ctx, Bucket, "dst/copy.bin")).equals(Body)).toBe(true);
    await ctx.s3.send(
      new CopyObjectCommand({
        Bucket,
        Key: "dst/replaced.bin",
        CopySource: `${Bucket}/${encodeURIComponent("src/ä.bin")}`,
        MetadataDirective: "REPLACE",
        ContentType: "image/png",
        Metadata: { stage: "processed" },
      }),
    );
    const replaced = await ctx.s3.send(new HeadObjectCommand({ Bucket, Key: "dst/replaced.bin" }));
    expect(replaced.ContentType).toBe("image/png");
    expect(replaced.Metadata).toEqual({ stage: "processed" });
  });

  contractCase("s3: ListObjectsV2 pages with MaxKeys and continuation tokens in key order", async (ctx) => {
    const Bucket = await createBucket(ctx);
    const keys = ["a/1.txt", "a/2.txt", "b/1.txt", "c.txt", "d.txt"];
    for (const Key of [...keys].reverse()) await ctx.s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
    const pages: ListObjectsV2CommandOutput[] = [];
    let ContinuationToken: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page = await ctx.s3.send(new ListObjectsV2Command({ Bucket, MaxKeys: 2, ContinuationToken }));
      pages.push(page);
      if (!page.IsTruncated) break;
      ContinuationToken = page.NextContinuationToken;
      expect(ContinuationToken).toBeTruthy();
    }
    expect(pages.map((p) => (p.Contents ?? []).map((c) => c.Key))).toEqual([["a/1.txt", "a/2.txt"], ["b/1.txt", "c.txt"], ["d.txt"]]);
    expect(pages.map((p) => p.KeyCount)).toEqual([2, 2, 1]);
    expect(pages.map((p) => p.IsTruncated)).toEqual([true, true, false]);
    expect(pages[0].Contents?.[0]).toMatchObject({ Size: 7, ETag: `"${md5Hex(Buffer.from("a/1.txt"))}"` });
  });

  contractCase("s3: ListObjectsV2 with Prefix, Delimiter (CommonPrefixes) and StartAfter", async (ctx) => {
    const Bucket = await createBucket(ctx);
    for (const Key of ["a/1.txt", "a/2.txt", "a/deep/3.txt", "b/1.txt", "c.txt", "d.txt"]) {
      await ctx.s3.send(new PutObjectCommand({ Bucket, Key, Body: "x" }));
    }
    const delimited = await ctx.s3.send(new ListObjectsV2Command({ Bucket, Delimiter: "/" }));
    expect((delimited.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(["a/", "b/"]);
    expect((delimited.Contents ?? []).map((c) => c.Key)).toEqual(["c.txt", "d.txt"]);
    const nested = await ctx.s3.send(new ListObjectsV2Command({ Bucket, Prefix: "a/", Delimiter: "/" }));
    expect((nested.Contents ?? []).map((c) => c.Key)).toEqual(["a/1.txt", "a/2.txt"]);
    expect((nested.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(["a/deep/"]);
    const after = await ctx.s3.send(new ListObjectsV2Command({ Bucket, StartAfter: "b/1.txt" }));
    expect((after.Contents ?? []).map((c) => c.Key)).toEqual(["c.txt", "d.txt"]);
    expect(after.StartAfter).toBe("b/1.txt");
  });

  contractCase("s3: common prefixes count toward MaxKeys when listing with a delimiter", async (ctx) => {
    const Bucket = await createBucket(ctx);
    for (const Key of ["a/1.txt", "a/2.txt", "b/1.txt", "c.txt"]) await ctx.s3.send(new PutObjectCommand({ Bucket, Key, Body: "x" }));
    const first = await ctx.s3.send(new ListObjectsV2Command({ Bucket, Delimiter: "/", MaxKeys: 2 }));
    expect((first.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(["a/", "b/"]);
    expect(first.Contents ?? []).toEqual([]);
    expect(first.KeyCount).toBe(2);
    expect(first.IsTruncated).toBe(true);
    const second = await ctx.s3.send(
      new ListObjectsV2Command({ Bucket, Delimiter: "/", MaxKeys: 2, ContinuationToken: first.NextContinuationToken }),
    );
    expect((second.Contents ?? []).map((c) => c.Key)).toEqual(["c.txt"]);
    expect(second.CommonPrefixes ?? []).toEqual([]);
    expect(second.IsTruncated).toBe(false);
  });

  contractCase("s3: CopyObject from a missing source key is NoSuchKey", async (ctx) => {
    const Bucket = await createBucket(ctx);
    const err = await awsError(ctx.s3.send(new CopyObjectCommand({ Bucket, Key: "dst.bin", CopySource: `${Bucket}/missing.bin` })));
    expect(err.name).toBe("NoSuchKey");
    expect(err.$metadata?.httpStatusCode).toBe(404);
  });

  contractCase("s3: Range GETs return 206 with Content-Range; an unsatisfiable range is InvalidRange (416)", async (ctx) => {
    const Bucket = await createBucket(ctx);
    const Body = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    await ctx.s3.send(new PutObjectCommand({ Bucket, Key: "r.bin", Body }));
    const mid = await ctx.s3.send(new GetObjectCommand({ Bucket, Key: "r.bin", Range: "bytes=10-19" }));
    expect(mid.$metadata.httpStatusCode).toBe(206);
    expect(mid.ContentRange).toBe("bytes 10-19/100");
    expect(mid.ContentLength).toBe(10);
    expect(Buffer.from(await mid.Body!.transformToByteArray())).toEqual(Body.subarray(10, 20));
    const tail = await ctx.s3.send(new GetObjectCommand({ Bucket, Key: "r.bin", Range: "bytes=-5" }));
    expect(tail.ContentRange).toBe("bytes 95-99/100");
    expect(Buffer.from(await tail.Body!.transformToByteArray())).toEqual(Body.subarray(95));
    const open = await ctx.s3.send(new GetObjectCommand({ Bucket, Key: "r.bin", Range: "bytes=90-" }));
    expect(open.ContentRange).toBe("bytes 90-99/100");
    const err = await awsError(ctx.s3.send(new GetObjectCommand({ Bucket, Key: "r.bin", Range: "bytes=200-300" })));
    expect(err.name).toBe("InvalidRange");
    expect(err.$metadata?.httpStatusCode).toBe(416);
  });

  contractCase("s3: conditional GETs — If-None-Match with the ETag is 304, If-Match with another is 412", async (ctx) => {
    const Bucket = await createBucket(ctx);
    const put = await ctx.s3.send(new PutObjectCommand({ Bucket, Key: "c.txt", Body: "cached" }));
    const notModified = await awsError(ctx.s3.send(new GetObjectCommand({ Bucket, Key: "c.txt", IfNoneMatch: put.ETag })));
    expect(notModified.$metadata?.httpStatusCode).toBe(304);
    const headNotModified = await awsError(ctx.s3.send(new HeadObjectCommand({ Bucket, Key: "c.txt", IfNoneMatch: put.ETag })));
    expect(headNotModified.$metadata?.httpStatusCode).toBe(304);
    const changed = await ctx.s3.send(new GetObjectCommand({ Bucket, Key: "c.txt", IfNoneMatch: '"0123456789abcdef0123456789abcdef"' }));
    expect(await changed.Body!.transformToString()).toBe("cached");
    const failed = await awsError(
      ctx.s3.send(new GetObjectCommand({ Bucket, Key: "c.txt", IfMatch: '"0123456789abcdef0123456789abcdef"' })),
    );
    expect(failed.name).toBe("PreconditionFailed");
    expect(failed.$metadata?.httpStatusCode).toBe(412);
  });

  contractCase(
    "s3: lib-storage Upload of a >5 MiB stream goes multipart and stores the exact bytes",
    async (ctx) => {
      const Bucket = await createBucket(ctx);
      const size = 11 * 1024 * 1024 + 123;
      const { stream, digest } = randomStream(size);
      const upload = new Upload({
        client: ctx.s3,
        params: { Bucket, Key: "big/original.jpg", Body: stream, ContentType: "image/jpeg" },
        partSize: 5 * 1024 * 1024,
        queueSize: 2,
      });
      const done = await upload.done();
      expect(done.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
      const head = await ctx.s3.send(new HeadObjectCommand({ Bucket, Key: "big/original.jpg" }));
      expect(head.ContentLength).toBe(size);
      expect(head.ContentType).toBe("image/jpeg");
      const bytes = await getBytes(ctx, Bucket, "big/original.jpg");
      expect(bytes.length).toBe(size);
      expect(sha256Hex(bytes)).toBe(digest());
    },
    60_000,
  );

  contractCase("s3: ListParts shows uploaded parts; AbortMultipartUpload makes the upload NoSuchUpload", async (ctx) => {
    const Bucket = await createBucket(ctx);
    const Key = "mp/aborted.bin";
    const { UploadId } = await ctx.s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    expect(UploadId).toBeTruthy();
    const part = randomBytes(1024);
    const uploaded = await ctx.s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: part }));
    expect(uploaded.ETag).toBe(`"${md5Hex(part)}"`);
    const parts = await ctx.s3.send(new ListPartsCommand({ Bucket, Key, UploadId }));
    expect(parts.Parts).toEqual([expect.objectContaining({ PartNumber: 1, Size: 1024, ETag: uploaded.ETag })]);
    await ctx.s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
    const err = await awsError(ctx.s3.send(new ListPartsCommand({ Bucket, Key, UploadId })));
    expect(err.name).toBe("NoSuchUpload");
    expect(err.$metadata?.httpStatusCode).toBe(404);
  });

  contractCase("s3: presigned GET and PUT URLs work from plain fetch", async (ctx) => {
    const Bucket = await createBucket(ctx);
    const Body = randomBytes(5_000);
    await ctx.s3.send(new PutObjectCommand({ Bucket, Key: "signed/get.bin", Body }));
    const getUrl = await getSignedUrl(ctx.s3, new GetObjectCommand({ Bucket, Key: "signed/get.bin" }), { expiresIn: 300 });
    const got = await fetch(getUrl);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(Body)).toBe(true);

    const upload = randomBytes(7_000);
    const putUrl = await getSignedUrl(ctx.s3, new PutObjectCommand({ Bucket, Key: "signed/put.bin" }), { expiresIn: 300 });
    const put = await fetch(putUrl, { method: "PUT", body: upload });
    expect(put.status).toBe(200);
    await put.arrayBuffer();
    expect((await getBytes(ctx, Bucket, "signed/put.bin")).equals(upload)).toBe(true);
  });

  contractCase("s3: an expired presigned URL is refused with 403 AccessDenied", async (ctx) => {
    const Bucket = await createBucket(ctx);
    await ctx.s3.send(new PutObjectCommand({ Bucket, Key: "short-lived.txt", Body: "x" }));
    const url = await getSignedUrl(ctx.s3, new GetObjectCommand({ Bucket, Key: "short-lived.txt" }), { expiresIn: 1 });
    await sleep(2_100);
    const res = await fetch(url);
    expect(res.status).toBe(403);
    const xml = new XMLParser().parse(await res.text());
    expect(xml.Error.Code).toBe("AccessDenied");
  });

  contractCase("s3: NoSuchKey comes back in AWS's XML error shape (seen through a presigned fetch)", async (ctx) => {
    const Bucket = await createBucket(ctx);
    const url = await getSignedUrl(ctx.s3, new GetObjectCommand({ Bucket, Key: "nothing/here.png" }), { expiresIn: 300 });
    const res = await fetch(url);
    expect(res.status).toBe(404);
    const xml = new XMLParser().parse(await res.text());
    expect(xml.Error.Code).toBe("NoSuchKey");
    expect(xml.Error.Key).toBe("nothing/here.png");
    expect(typeof xml.Error.Message).toBe("string");
  });

  contractCase("s3: a missing bucket is NoSuchBucket (404) for object and list calls", async (ctx) => {
    const Bucket = ctx.uniqueName("nobucket");
    const get = await awsError(ctx.s3.send(new GetObjectCommand({ Bucket, Key: "k" })));
    expect(get.name).toBe("NoSuchBucket");
    expect(get.$metadata?.httpStatusCode).toBe(404);
    const put = await awsError(ctx.s3.send(new PutObjectCommand({ Bucket, Key: "k", Body: "x" })));
    expect(put.name).toBe("NoSuchBucket");
    const list = await awsError(ctx.s3.send(new ListObjectsV2Command({ Bucket })));
    expect(list.name).toBe("NoSuchBucket");
    const head = await awsError(ctx.s3.send(new HeadBucketCommand({ Bucket })));
    expect(head.$metadata?.httpStatusCode).toBe(404);
  });

  contractCase("s3: DeleteBucket of a non-empty bucket is BucketNotEmpty (409); an empty one is deleted", async (ctx) => {
    const Bucket = await createBucket(ctx);
    await ctx.s3.send(new PutObjectCommand({ Bucket, Key: "keep.txt", Body: "x" }));
    const err = await awsError(ctx.s3.send(new DeleteBucketCommand({ Bucket })));
    expect(err.name).toBe("BucketNotEmpty");
    expect(err.$metadata?.httpStatusCode).toBe(409);
    await ctx.s3.send(new DeleteObjectCommand({ Bucket, Key: "keep.txt" }));
    const deleted = await ctx.s3.send(new DeleteBucketCommand({ Bucket }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    const head = await awsError(ctx.s3.send(new HeadBucketCommand({ Bucket })));
    expect(head.$metadata?.httpStatusCode).toBe(404);
  });
}
