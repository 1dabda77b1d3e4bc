/**
 * S3, path-style REST: `/bucket/key`. Routes a request to an operation (for faults and IAM),
 * then runs it against `S3Store`.
 */
import { createHash, randomBytes } from "node:crypto";
import type { AwsServiceError } from "../errors.ts";
import type { EmulatorRequest, HttpReply } from "../http-reply.ts";
import type { Authorization, ServiceCall } from "../service-call.ts";
import { asArray, parseXml, toXml, type XmlNode, xmlDeclaration } from "../xml.ts";
import { decodeAwsChunked } from "./aws-chunked.ts";
import { type ChecksumAlgorithm, checksumAlgorithms, compositeChecksum, computeChecksum } from "./checksums.ts";
import { invalidArgument, noSuchBucket, noSuchKey, noSuchUpload, s3Error, s3ErrorReply } from "./s3-errors.ts";
import type { Bucket, ObjectMeta, S3Object, S3Store } from "./s3-store.ts";

const xmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
const minPartSize = 5 * 1024 * 1024;
const bucketNamePattern = /^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const owner = { ID: "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", DisplayName: "emulator" };

export interface S3ServiceOptions {
  region: string;
  baseUrl: string;
}

export class S3Service {
  constructor(
    readonly store: S3Store,
    private readonly options: S3ServiceOptions,
  ) {}

  call(req: EmulatorRequest): ServiceCall {
    const [rawBucket, ...rest] = req.rawPath.slice(1).split("/");
    const bucketName = rawBucket ? decodePath(rawBucket) : "";
    const hasKey = rest.length > 0 && !(rest.length === 1 && rest[0] === "");
    const key = hasKey ? decodePath(rest.join("/")) : "";
    const q = req.query;
    const m = req.method;
    const bucketArn = `arn:aws:s3:::${bucketName}`;
    const objectArn = `${bucketArn}/${key}`;
    let operation = "Unsupported";
    let action = "s3:Unsupported";
    let resource = objectArn;
    let run: () => Promise<HttpReply> | HttpReply = () => {
      throw s3Error("NotImplemented", "A header or query you provided implies functionality that is not implemented.", 501);
    };
    const extra: Authorization[] = [];
    if (!bucketName) {
      if (m === "GET")
        [operation, action, resource, run] = ["ListBuckets", "s3:ListAllMyBuckets", "arn:aws:s3:::*", () => this.listBuckets()];
    } else if (!hasKey) {
      resource = bucketArn;
      if (m === "PUT" && [...q.keys()].every((k) => k === "x-id" || k.startsWith("X-Amz-"))) {
        [operation, action, run] = ["CreateBucket", "s3:CreateBucket", () => this.createBucket(bucketName, req.body)];
      } else if (m === "DELETE" && !q.has("tagging") && !q.has("policy") && !q.has("cors")) {
        [operation, action, run] = ["DeleteBucket", "s3:DeleteBucket", () => this.deleteBucket(bucketName)];
      } else if (m === "HEAD") [operation, action, run] = ["HeadBucket", "s3:ListBucket", () => this.headBucket(bucketName)];
      else if (m === "GET" && q.has("location"))
        [operation, action, run] = ["GetBucketLocation", "s3:GetBucketLocation", () => this.location(bucketName)];
      else if (m === "GET" && q.has("versioning"))
        [operation, action, run] = ["GetBucketVersioning", "s3:GetBucketVersioning", () => this.versioning(bucketName)];
      else if (m === "GET" && q.has("uploads")) {
        [operation, action, run] = ["ListMultipartUploads", "s3:ListBucketMultipartUploads", () => this.listUploads(bucketName)];
      } else if (m === "GET" && ![...q.keys()].some((k) => subresources.has(k))) {
        const v2 = q.get("list-type") === "2";
        [operation, action, run] = [v2 ? "ListObjectsV2" : "ListObjects", "s3:ListBucket", () => this.listObjects(bucketName, q, v2)];
      } else if (m === "POST" && q.has("delete")) {
        [operation, action, run] = ["DeleteObjects", "s3:DeleteObject", () => this.deleteObjects(req, bucketName)];
        resource = `${bucketArn}/*`;
      }
    } else if (m === "GET" || m === "HEAD") {
      if (q.has("uploadId")) {
        [operation, action, run] = ["ListParts", "s3:ListMultipartUploadParts", () => this.listParts(bucketName, key, q)];
      } else if (![...q.keys()].some((k) => subresources.has(k))) {
        const head = m === "HEAD";
        [operation, action, run] = [head ? "HeadObject" : "GetObject", "s3:GetObject", () => this.getObject(req, bucketName, key, head)];
      }
    } else if (m === "PUT") {
      const source = req.headers["x-amz-copy-source"];
      if (source && !q.has("uploadId")) {
        const src = parseCopySource(source);
        [operation, action, run] = ["CopyObject", "s3:PutObject", () => this.copyObject(req, bucketName, key, src)];
        extra.push({ action: "s3:GetObject", resource: `arn:aws:s3:::${src.bucket}/${src.key}` });
      } else if (!source && q.has("uploadId") && q.has("partNumber")) {
        [operation, action, run] = ["UploadPart", "s3:PutObject", () => this.uploadPart(req, bucketName, key)];
      } else if (!source && ![...q.keys()].some((k) => subresources.has(k))) {
        [operation, action, run] = ["PutObject", "s3:PutObject", () => this.putObject(req, bucketName, key)];
      }
    } else if (m === "POST") {
      if (q.has("uploads"))
        [operation, action, run] = ["CreateMultipartUpload", "s3:PutObject", () => this.createUpload(req, bucketName, key)];
      else if (q.has("uploadId"))
        [operation, action, run] = ["CompleteMultipartUpload", "s3:PutObject", () => this.completeUpload(req, bucketName, key)];
    } else if (m === "DELETE") {
      if (q.has("uploadId"))
        [operation, action, run] = ["AbortMultipartUpload", "s3:AbortMultipartUpload", () => this.abortUpload(bucketName, key, q)];
      else if (![...q.keys()].some((k) => subresources.has(k)))
        [operation, action, run] = ["DeleteObject", "s3:DeleteObject", () => this.deleteObject(bucketName, key)];
    }
    const expired = presignedExpiry(q);
    if (expired) {
      run = () => {
        throw s3Error("AccessDenied", "Request has expired", 403, expired);
      };
    }
    return {
      service: "s3",
      operation,
      resource: bucketName || undefined,
      authorizations: [{ action, resource }, ...extra],
      run,
      renderError: (error: AwsServiceError) => s3ErrorReply(error, req.requestId, m === "HEAD"),
    };
  }

  private bucket(name: string): Bucket {
    const bucket = this.store.buckets.get(name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  }

  private listBuckets(): HttpReply {
    const buckets = [...this.store.buckets.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    return xml("ListAllMyBucketsResult", {
      Owner: owner,
      Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: iso(b.createdAt) })) },
    });
  }

  private createBucket(name: string, body: Buffer): HttpReply {
    if (!bucketNamePattern.test(name) || name.includes("..")) {
      throw s3Error("InvalidBucketName", "The specified bucket is not valid.", 400, { BucketName: name });
    }
    const location = /<LocationConstraint>([^<]*)<\/LocationConstraint>/.exec(body.toString("utf8"))?.[1] || "us-east-1";
    if (this.store.buckets.has(name) && location === "us-east-1") {
      // AWS quirk: in us-east-1, re-creating a bucket you own succeeds.
      return { status: 200, headers: { location: `/${name}` } };
    }
    if (this.store.buckets.has(name)) {
      throw s3Error("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", 409, {
        BucketName: name,
      });
    }
    this.store.createBucket(name);
    return { status: 200, headers: { location: `/${name}` } };
  }

  private deleteBucket(name: string): HttpReply {
    const bucket = this.bucket(name);
    if (bucket.objects.size > 0) {
      throw s3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, { BucketName: name });
    }
    this.store.deleteBucket(name);
    return { status: 204 };
  }

  private headBucket(name: string): HttpReply {
    this.bucket(name);
    return { status: 200, headers: { "x-amz-bucket-region": this.options.region } };
  }

  private location(name: string): HttpReply {
    this.bucket(name);
    const region = this.options.region === "us-east-1" ? "" : this.options.region;
    return {
      status: 200,
      headers: { "content-type": "application/xml" },
      body: `${xmlDeclaration}<LocationConstraint xmlns="${xmlns}">${region}</LocationConstraint>`,
    };
  }

  private versioning(name: string): HttpReply {
    this.bucket(name);
    return {
      status: 200,
      headers: { "content-type": "application/xml" },
      body: `${xmlDeclaration}<VersioningConfiguration xmlns="${xmlns}"/>`,
    };
  }

  private listObjects(name: string, q: URLSearchParams, v2: boolean): HttpReply {
    const bucket = this.bucket(name);
    const prefix = q.get("prefix") ?? "";
    const delimiter = q.get("delimiter") ?? "";
    const maxKeysRaw = q.get("max-keys");
    const maxKeys = maxKeysRaw === null ? 1000 : Number(maxKeysRaw);
    if (!Number.isInteger(maxKeys) || maxKeys < 0)
      throw invalidArgument("Provided max-keys not an integer or within integer range", "max-keys", maxKeysRaw ?? "");
    const limit = Math.min(maxKeys, 1000);
    const urlEncode = q.get("encoding-type") === "url";
    const enc = (s: string) => (urlEncode ? encodeURIComponent(s).replace(/%2F/g, "/") : s);
    let after = "";
    const token = q.get("continuation-token");
    if (v2 && token !== null) {
      after = Buffer.from(token, "base64url").toString("utf8");
      if (!token) throw invalidArgument("The continuation token provided is incorrect", "continuation-token", token);
    } else if (v2) after = q.get("start-after") ?? "";
    else after = q.get("marker") ?? "";
    const keys = this.store.sortedKeys(bucket);
    let i = lowerBound(keys, after);
    if (keys[i] === after) i++;
    const contents: S3Object[] = [];
    const prefixes: string[] = [];
    let truncated = false;
    let last = "";
    for (; i < keys.length; i++) {
      const k = keys[i];
      if (!k.startsWith(prefix)) {
        if (k > prefix) break;
        continue;
      }
      let common: string | undefined;
      if (delimiter) {
        const idx = k.indexOf(delimiter, prefix.length);
        if (idx >= 0) common = k.slice(0, idx + delimiter.length);
      }
      if (common !== undefined && prefixes[prefixes.length - 1] === common) continue;
      if (common !== undefined && after.startsWith(common)) continue;
      if (contents.length + prefixes.length >= limit) {
        truncated = true;
        break;
      }
      if (common !== undefined) {
        prefixes.push(common);
        last = common;
      } else {
        contents.push(bucket.objects.get(k)!);
        last = k;
      }
    }
    const items = {
      Contents: contents.map((o) => ({
        Key: enc(o.key),
        LastModified: iso(o.lastModified),
        ETag: o.etag,
        ...(Object.keys(o.checksums).length ? { ChecksumAlgorithm: Object.keys(o.checksums).map((a) => a.toUpperCase()) } : {}),
        ...(o.checksumType ? { ChecksumType: o.checksumType } : {}),
        Size: o.size,
        ...(v2 ? {} : { Owner: owner }),
        StorageClass: "STANDARD",
      })),
      CommonPrefixes: prefixes.map((p) => ({ Prefix: enc(p) })),
    };
    const head: XmlNode = { Name: name, Prefix: enc(prefix) };
    if (v2) {
      Object.assign(head, {
        ...(token !== null ? { ContinuationToken: token } : {}),
        ...(q.get("start-after") !== null ? { StartAfter: enc(q.get("start-after")!) } : {}),
        KeyCount: contents.length + prefixes.length,
        MaxKeys: maxKeys,
        ...(delimiter ? { Delimiter: enc(delimiter) } : {}),
        ...(urlEncode ? { EncodingType: "url" } : {}),
        IsTruncated: truncated,
        ...(truncated ? { NextContinuationToken: Buffer.from(last).toString("base64url") } : {}),
      });
    } else {
      Object.assign(head, {
        Marker: enc(after),
        ...(truncated && delimiter ? { NextMarker: enc(last) } : {}),
        MaxKeys: maxKeys,
        ...(delimiter ? { Delimiter: enc(delimiter) } : {}),
        ...(urlEncode ? { EncodingType: "url" } : {}),
        IsTruncated: truncated,
      });
    }
    return xml("ListBucketResult", { ...head, ...items });
  }

  /** Request body with aws-chunked framing removed and every supplied checksum verified. */
  private readBody(req: EmulatorRequest): { body: Buffer; checksums: Partial<Record<ChecksumAlgorithm, string>> } {
    const h = req.headers;
    let body = req.body;
    let trailers: Record<string, string> = {};
    const sha = h["x-amz-content-sha256"] ?? "";
    if (sha.startsWith("STREAMING-") || (h["content-encoding"] ?? "").split(",").some((e) => e.trim() === "aws-chunked")) {
      ({ body, trailers } = decodeAwsChunked(body));
      const declared = h["x-amz-decoded-content-length"];
      if (declared !== undefined && Number(declared) !== body.length) {
        throw s3Error("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.", 400);
      }
    } else if (/^[0-9a-f]{64}$/.test(sha) && createHash("sha256").update(body).digest("hex") !== sha) {
      throw s3Error("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", 400);
    }
    const md5 = h["content-md5"];
    if (md5 && createHash("md5").update(body).digest("base64") !== md5) {
      throw s3Error("BadDigest", "The Content-MD5 you specified did not match what we received.", 400);
    }
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const alg of checksumAlgorithms) {
      const value = h[`x-amz-checksum-${alg}`] ?? trailers[`x-amz-checksum-${alg}`];
      if (!value) continue;
      const actual = computeChecksum(alg, body);
      if (actual !== undefined && actual !== value) {
        throw s3Error("BadDigest", `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`, 400);
      }
      checksums[alg] = value;
    }
    const requested = (h["x-amz-sdk-checksum-algorithm"] ?? h["x-amz-checksum-algorithm"])?.toLowerCase() as ChecksumAlgorithm | undefined;
    if (requested && checksumAlgorithms.includes(requested) && !checksums[requested]) {
      const computed = computeChecksum(requested, body);
      if (computed) checksums[requested] = computed;
    }
    return { body, checksums };
  }

  private async putObject(req: EmulatorRequest, bucketName: string, key: string): Promise<HttpReply> {
    const bucket = this.bucket(bucketName);
    checkKey(key);
    const { body, checksums } = this.readBody(req);
    const existing = bucket.objects.get(key);
    const ifNoneMatch = req.headers["if-none-match"];
    if (ifNoneMatch === "*" && existing)
      throw s3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, {
        Condition: "If-None-Match",
      });
    const ifMatch = req.headers["if-match"];
    if (ifMatch) {
      if (!existing) throw noSuchKey(key);
      if (!etagMatches(ifMatch, existing.etag))
        throw s3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, {
          Condition: "If-Match",
        });
    }
    const obj = await this.store.putObject(
      bucket,
      {
        key,
        size: body.length,
        etag: `"${createHash("md5").update(body).digest("hex")}"`,
        lastModified: Date.now(),
        checksums,
        ...objectMeta(req.headers),
        ...(Object.keys(checksums).length ? { checksumType: "FULL_OBJECT" } : {}),
      },
      body,
    );
    return { status: 200, headers: { etag: obj.etag, ...checksumHeaders(obj) } };
  }

  private async getObject(req: EmulatorRequest, bucketName: string, key: string, head: boolean): Promise<HttpReply> {
    const bucket = this.bucket(bucketName);
    const obj = bucket.objects.get(key);
    if (!obj) throw noSuchKey(key);
    const h = req.headers;
    const base: Record<string, string | number> = {
      etag: obj.etag,
      "last-modified": new Date(obj.lastModified).toUTCString(),
      "accept-ranges": "bytes",
      "content-type": obj.contentType ?? "application/octet-stream",
    };
    if (obj.contentEncoding) base["content-encoding"] = obj.contentEncoding;
    if (obj.contentDisposition) base["content-disposition"] = obj.contentDisposition;
    if (obj.contentLanguage) base["content-language"] = obj.contentLanguage;
    if (obj.cacheControl) base["cache-control"] = obj.cacheControl;
    if (obj.expires) base.expires = obj.expires;
    for (const [k, v] of Object.entries(obj.metadata)) base[`x-amz-meta-${k}`] = v;
    for (const [param, header] of responseOverrides) {
      const v = req.query.get(param);
      if (v !== null) base[header] = v;
    }
    const precondition = (condition: string) =>
      s3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, { Condition: condition });
    const modifiedSeconds = Math.floor(obj.lastModified / 1000);
    if (h["if-match"] && !etagMatches(h["if-match"], obj.etag)) throw precondition("If-Match");
    if (!h["if-match"] && h["if-unmodified-since"] && modifiedSeconds > Date.parse(h["if-unmodified-since"]) / 1000)
      throw precondition("If-Unmodified-Since");
    if (h["if-none-match"] && etagMatches(h["if-none-match"], obj.etag))
      return { status: 304, headers: { etag: obj.etag, "last-modified": base["last-modified"] } };
    if (!h["if-none-match"] && h["if-modified-since"] && modifiedSeconds <= Date.parse(h["if-modified-since"]) / 1000) {
      return { status: 304, headers: { etag: obj.etag, "last-modified": base["last-modified"] } };
    }
    const range = h.range ? parseRange(h.range, obj.size) : undefined;
    if (range === "invalid") {
      throw s3Error("InvalidRange", "The requested range is not satisfiable", 416, {
        RangeRequested: h.range,
        ActualObjectSize: String(obj.size),
      });
    }
    if (!range && h["x-amz-checksum-mode"]?.toUpperCase() === "ENABLED") Object.assign(base, checksumHeaders(obj));
    if (obj.partsCount && req.query.has("partNumber")) base["x-amz-mp-parts-count"] = obj.partsCount;
    if (range) {
      const [start, end] = range;
      base["content-range"] = `bytes ${start}-${end}/${obj.size}`;
      base["content-length"] = end - start + 1;
      if (head) return { status: 206, headers: base };
      const body = await this.store.body(obj);
      return { status: 206, headers: base, body: body.subarray(start, end + 1) };
    }
    base["content-length"] = obj.size;
    if (head) return { status: 200, headers: base };
    return { status: 200, headers: base, body: await this.store.body(obj) };
  }

  private deleteObject(bucketName: string, key: string): HttpReply {
    this.store.deleteObject(this.bucket(bucketName), key);
    return { status: 204 };
  }

  private async deleteObjects(req: EmulatorRequest, bucketName: string): Promise<HttpReply> {
    const bucket = this.bucket(bucketName);
    const { body } = this.readBody(req);
    let doc: Record<string, unknown>;
    try {
      doc = await parseXml(body);
    } catch {
      throw malformedXml();
    }
    const del = doc.Delete as { Object?: unknown; Quiet?: string } | undefined;
    if (!del) throw malformedXml();
    const objects = asArray(del.Object as { Key?: string }[] | { Key?: string });
    if (objects.length === 0 || objects.length > 1000) throw malformedXml();
    const quiet = String(del.Quiet ?? "").toLowerCase() === "true";
    const deleted: XmlNode[] = [];
    for (const o of objects) {
      const key = String(o.Key ?? "");
      this.store.deleteObject(bucket, key);
      if (!quiet) deleted.push({ Key: key });
    }
    return xml("DeleteResult", { Deleted: deleted });
  }

  private async copyObject(
    req: EmulatorRequest,
    bucketName: string,
    key: string,
    src: { bucket: string; key: string },
  ): Promise<HttpReply> {
    const target = this.bucket(bucketName);
    const source = this.bucket(src.bucket).objects.get(src.key);
    if (!source) throw noSuchKey(src.key);
    const h = req.headers;
    if (h["x-amz-copy-source-if-match"] && !etagMatches(h["x-amz-copy-source-if-match"], source.etag)) {
      throw s3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, {
        Condition: "x-amz-copy-source-If-Match",
      });
    }
    if (h["x-amz-copy-source-if-none-match"] && etagMatches(h["x-amz-copy-source-if-none-match"], source.etag)) {
      throw s3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, {
        Condition: "x-amz-copy-source-If-None-Match",
      });
    }
    const replace = h["x-amz-metadata-directive"]?.toUpperCase() === "REPLACE";
    if (src.bucket === bucketName && src.key === key && !replace) {
      throw s3Error(
        "InvalidRequest",
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        400,
      );
    }
    const body = await this.store.body(source);
    const meta: ObjectMeta = replace ? objectMeta(h) : pickMeta(source);
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    const algs = new Set<ChecksumAlgorithm>(Object.keys(source.checksums) as ChecksumAlgorithm[]);
    const requested = h["x-amz-checksum-algorithm"]?.toLowerCase() as ChecksumAlgorithm | undefined;
    if (requested && checksumAlgorithms.includes(requested)) algs.add(requested);
    for (const alg of algs) {
      const value = source.checksumType === "COMPOSITE" || !source.checksums[alg] ? computeChecksum(alg, body) : source.checksums[alg];
      if (value) checksums[alg] = value;
    }
    const obj = await this.store.putObject(
      target,
      {
        key,
        size: body.length,
        etag: `"${createHash("md5").update(body).digest("hex")}"`,
        lastModified: Date.now(),
        checksums,
        ...meta,
        ...(Object.keys(checksums).length ? { checksumType: "FULL_OBJECT" } : {}),
      },
      body,
    );
    const checksumFields: XmlNode = {};
    for (const [alg, v] of Object.entries(obj.checksums)) checksumFields[`Checksum${alg.toUpperCase()}`] = v;
    return xml("CopyObjectResult", { ETag: obj.etag, LastModified: iso(obj.lastModified), ...checksumFields });
  }

  private createUpload(req: EmulatorRequest, bucketName: string, key: string): HttpReply {
    const bucket = this.bucket(bucketName);
    checkKey(key);
    const id = randomBytes(24).toString("base64url");
    const alg = req.headers["x-amz-checksum-algorithm"]?.toLowerCase() as ChecksumAlgorithm | undefined;
    const checksumAlgorithm = alg && checksumAlgorithms.includes(alg) ? alg : undefined;
    const type = req.headers["x-amz-checksum-type"]?.toUpperCase();
    const checksumType = checksumAlgorithm
      ? type === "FULL_OBJECT" || (!type && checksumAlgorithm === "crc64nvme")
        ? "FULL_OBJECT"
        : "COMPOSITE"
      : undefined;
    bucket.uploads.set(id, {
      id,
      key,
      initiated: Date.now(),
      meta: objectMeta(req.headers),
      checksumAlgorithm,
      checksumType,
      parts: new Map(),
    });
    const headers: Record<string, string> = {};
    if (checksumAlgorithm) {
      headers["x-amz-checksum-algorithm"] = checksumAlgorithm.toUpperCase();
      headers["x-amz-checksum-type"] = checksumType!;
    }
    const reply = xml("InitiateMultipartUploadResult", { Bucket: bucketName, Key: key, UploadId: id });
    return { ...reply, headers: { ...reply.headers, ...headers } };
  }

  private upload(bucketName: string, key: string, id: string | null) {
    const upload = this.bucket(bucketName).uploads.get(id ?? "");
    if (!upload || upload.key !== key) throw noSuchUpload(id ?? "");
    return upload;
  }

  private uploadPart(req: EmulatorRequest, bucketName: string, key: string): HttpReply {
    const upload = this.upload(bucketName, key, req.query.get("uploadId"));
    const number = Number(req.query.get("partNumber"));
    if (!Number.isInteger(number) || number < 1 || number > 10_000) {
      throw invalidArgument(
        "Part number must be an integer between 1 and 10000, inclusive",
        "partNumber",
        req.query.get("partNumber") ?? "",
      );
    }
    const { body, checksums } = this.readBody(req);
    const alg = upload.checksumAlgorithm;
    const checksum = alg ? (checksums[alg] ?? computeChecksum(alg, body)) : undefined;
    const etag = `"${createHash("md5").update(body).digest("hex")}"`;
    upload.parts.set(number, { number, etag, size: body.length, lastModified: Date.now(), checksum, body });
    const headers: Record<string, string> = { etag };
    for (const [a, v] of Object.entries(checksums)) headers[`x-amz-checksum-${a}`] = v;
    if (alg && checksum) headers[`x-amz-checksum-${alg}`] = checksum;
    return { status: 200, headers };
  }

  private async completeUpload(req: EmulatorRequest, bucketName: string, key: string): Promise<HttpReply> {
    const bucket = this.bucket(bucketName);
    const upload = this.upload(bucketName, key, req.query.get("uploadId"));
    let doc: Record<string, unknown>;
    try {
      doc = await parseXml(this.readBody(req).body);
    } catch {
      throw malformedXml();
    }
    const requested = asArray(
      (doc.CompleteMultipartUpload as { Part?: unknown } | undefined)?.Part as { PartNumber?: string; ETag?: string }[],
    );
    if (requested.length === 0) throw malformedXml();
    const parts = [];
    let previous = 0;
    for (const [i, p] of requested.entries()) {
      const n = Number(p.PartNumber);
      if (n <= previous)
        throw s3Error("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.", 400);
      previous = n;
      const part = upload.parts.get(n);
      if (!part || (p.ETag !== undefined && !etagMatches(String(p.ETag), part.etag))) {
        throw s3Error(
          "InvalidPart",
          "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.",
          400,
          {
            UploadId: upload.id,
            PartNumber: String(n),
          },
        );
      }
      if (i < requested.length - 1 && part.size < minPartSize) {
        throw s3Error("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.", 400, {
          ProposedSize: String(part.size),
          MinSizeAllowed: String(minPartSize),
        });
      }
      parts.push(part);
    }
    const body = Buffer.concat(parts.map((p) => p.body));
    const etag = `"${createHash("md5")
      .update(Buffer.concat(parts.map((p) => Buffer.from(p.etag.slice(1, -1), "hex"))))
      .digest("hex")}-${parts.length}"`;
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    const alg = upload.checksumAlgorithm;
    if (alg) {
      const value =
        upload.checksumType === "FULL_OBJECT"
          ? computeChecksum(alg, body)
          : compositeChecksum(
              alg,
              parts.map((p) => p.checksum ?? ""),
            );
      const claimed = req.headers[`x-amz-checksum-${alg}`];
      if (upload.checksumType === "FULL_OBJECT" && claimed && value && claimed !== value) {
        throw s3Error("BadDigest", `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`, 400);
      }
      if (value) checksums[alg] = value;
      else if (claimed) checksums[alg] = claimed;
    }
    bucket.uploads.delete(upload.id);
    const obj = await this.store.putObject(
      bucket,
      {
        key,
        size: body.length,
        etag,
        lastModified: Date.now(),
        checksums,
        checksumType: alg ? upload.checksumType : undefined,
        partsCount: parts.length,
        ...upload.meta,
      },
      body,
    );
    const checksumFields: XmlNode = {};
    for (const [a, v] of Object.entries(obj.checksums)) checksumFields[`Checksum${a.toUpperCase()}`] = v;
    if (obj.checksumType) checksumFields.ChecksumType = obj.checksumType;
    return xml("CompleteMultipartUploadResult", {
      Location: `${this.options.baseUrl}/${bucketName}/${encodeURI(key)}`,
      Bucket: bucketName,
      Key: key,
      ETag: etag,
      ...checksumFields,
    });
  }

  private abortUpload(bucketName: string, key: string, q: URLSearchParams): HttpReply {
    const upload = this.upload(bucketName, key, q.get("uploadId"));
    this.bucket(bucketName).uploads.delete(upload.id);
    return { status: 204 };
  }

  private listParts(bucketName: string, key: string, q: URLSearchParams): HttpReply {
    const upload = this.upload(bucketName, key, q.get("uploadId"));
    const marker = Number(q.get("part-number-marker") ?? 0);
    const maxParts = Math.min(Number(q.get("max-parts") ?? 1000), 1000);
    const all = [...upload.parts.values()].filter((p) => p.number > marker).sort((a, b) => a.number - b.number);
    const page = all.slice(0, maxParts);
    const truncated = all.length > page.length;
    const alg = upload.checksumAlgorithm;
    return xml("ListPartsResult", {
      Bucket: bucketName,
      Key: key,
      UploadId: upload.id,
      PartNumberMarker: marker,
      ...(page.length ? { NextPartNumberMarker: page[page.length - 1].number } : {}),
      MaxParts: maxParts,
      IsTruncated: truncated,
      Part: page.map((p) => ({
        PartNumber: p.number,
        LastModified: iso(p.lastModified),
        ETag: p.etag,
        Size: p.size,
        ...(alg && p.checksum ? { [`Checksum${alg.toUpperCase()}`]: p.checksum } : {}),
      })),
      Initiator: owner,
      Owner: owner,
      StorageClass: "STANDARD",
      ...(alg ? { ChecksumAlgorithm: alg.toUpperCase(), ChecksumType: upload.checksumType } : {}),
    });
  }

  private listUploads(bucketName: string): HttpReply {
    const bucket = this.bucket(bucketName);
    const uploads = [...bucket.uploads.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated - b.initiated));
    return xml("ListMultipartUploadsResult", {
      Bucket: bucketName,
      KeyMarker: "",
      UploadIdMarker: "",
      MaxUploads: 1000,
      IsTruncated: false,
      Upload: uploads.map((u) => ({
        Key: u.key,
        UploadId: u.id,
        Initiator: owner,
        Owner: owner,
        StorageClass: "STANDARD",
        Initiated: iso(u.initiated),
      })),
    });
  }
}

const subresources = new Set([
  "acl",
  "tagging",
  "policy",
  "cors",
  "lifecycle",
  "website",
  "logging",
  "notification",
  "replication",
  "encryption",
  "versions",
  "versioning",
  "retention",
  "legal-hold",
  "object-lock",
  "attributes",
  "restore",
  "select",
  "torrent",
  "uploads",
  "uploadId",
  "location",
  "accelerate",
  "analytics",
  "inventory",
  "metrics",
  "ownershipControls",
  "publicAccessBlock",
  "requestPayment",
  "intelligent-tiering",
]);

const responseOverrides: [string, string][] = [
  ["response-content-type", "content-type"],
  ["response-content-disposition", "content-disposition"],
  ["response-content-encoding", "content-encoding"],
  ["response-content-language", "content-language"],
  ["response-cache-control", "cache-control"],
  ["response-expires", "expires"],
];

function xml(root: string, node: XmlNode): HttpReply {
  return {
    status: 200,
    headers: { "content-type": "application/xml" },
    body: `${xmlDeclaration}\n<${root} xmlns="${xmlns}">${toXml(node)}</${root}>`,
  };
}

const malformedXml = () =>
  s3Error("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function checkKey(key: string): void {
  if (Buffer.byteLength(key) > 1024) throw s3Error("KeyTooLongError", "Your key is too long", 400);
}

function objectMeta(h: Record<string, string>): ObjectMeta {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith("x-amz-meta-")) metadata[k.slice("x-amz-meta-".length)] = v;
  const encoding = h["content-encoding"]
    ?.split(",")
    .map((e) => e.trim())
    .filter((e) => e && e !== "aws-chunked")
    .join(", ");
  return {
    contentType: h["content-type"] || undefined,
    contentEncoding: encoding || undefined,
    contentDisposition: h["content-disposition"],
    contentLanguage: h["content-language"],
    cacheControl: h["cache-control"],
    expires: h.expires,
    metadata,
  };
}

function pickMeta(o: S3Object): ObjectMeta {
  return {
    contentType: o.contentType,
    contentEncoding: o.contentEncoding,
    contentDisposition: o.contentDisposition,
    contentLanguage: o.contentLanguage,
    cacheControl: o.cacheControl,
    expires: o.expires,
    metadata: { ...o.metadata },
  };
}

function checksumHeaders(obj: S3Object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [alg, v] of Object.entries(obj.checksums)) out[`x-amz-checksum-${alg}`] = v;
  if (obj.checksumType && Object.keys(out).length) out["x-amz-checksum-type"] = obj.checksumType;
  return out;
}

function etagMatches(header: string, etag: string): boolean {
  const bare = etag.replace(/"/g, "");
  return header.split(",").some((t) => {
    const v = t.trim().replace(/^W\//, "").replace(/"/g, "");
    return v === "*" || v === bare;
  });
}

/** [start, end] inclusive, "invalid" for an unsatisfiable range, undefined to ignore a malformed header (as S3 does). */
export function parseRange(header: string, size: number): [number, number] | "invalid" | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return "invalid";
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return undefined;
  if (start >= size) return "invalid";
  return [start, end];
}

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw s3Error("InvalidURI", "Couldn't parse the specified URI.", 400, { URI: raw });
  }
}

function parseCopySource(header: string): { bucket: string; key: string } {
  let path: string;
  try {
    path = decodeURIComponent(header.replace(/\?.*$/, "")).replace(/^\//, "");
  } catch {
    throw invalidArgument("Invalid copy source encoding", "x-amz-copy-source", header);
  }
  const slash = path.indexOf("/");
  if (slash <= 0) throw invalidArgument("Invalid copy source object key", "x-amz-copy-source", header);
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}

function lowerBound(keys: string[], value: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Fields of S3's "Request has expired" error when a presigned URL is past `X-Amz-Date + X-Amz-Expires`, checked with or without IAM. */
function presignedExpiry(q: URLSearchParams): Record<string, string> | undefined {
  const date = q.get("X-Amz-Date");
  const expires = q.get("X-Amz-Expires");
  if (!date || !expires) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!m) return undefined;
  const signedAt = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const expiresAt = signedAt + Number(expires) * 1000;
  if (!(Date.now() > expiresAt)) return undefined;
  return { "X-Amz-Expires": expires, Expires: new Date(expiresAt).toISOString(), ServerTime: new Date().toISOString() };
}
