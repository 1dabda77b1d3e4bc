/**
 * S3 bucket and object operations on the SDK's request types (the protocol parses headers and
 * query into them and renders the results). Multipart uploads and listings have their own modules.
 */
import { createHash } from "node:crypto";
import type {
  CopyObjectRequest,
  CreateBucketRequest,
  DeleteBucketRequest,
  DeleteObjectRequest,
  DeleteObjectsRequest,
  GetObjectRequest,
  HeadBucketRequest,
  PutObjectRequest,
} from "@aws-sdk/client-s3";
import { wireRecord } from "../wire-record.ts";
import { parseRange } from "./byte-range.ts";
import { type ChecksumAlgorithm, checksumAlgorithms, computeChecksum } from "./checksums.ts";
import { noSuchBucket, noSuchKey, s3Error } from "./s3-errors.ts";
import { etagMatches, metaFrom, metaOf, type ObjectFields } from "./s3-object-fields.ts";
import type { Checksums, RequestBody } from "./s3-request-body.ts";
import type { Bucket, S3Object, S3Store } from "./s3-store.ts";

const bucketNamePattern = /^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const keyLimit = 1024;

/** Conditions and dates travel as header text. */
type Wire<T> = { [K in keyof T]: T[K] extends Date | undefined ? string | undefined : T[K] };

export type PutObjectInput = Pick<PutObjectRequest, "Bucket" | "Key" | "IfMatch" | "IfNoneMatch"> & ObjectFields;
export type GetObjectInput = Wire<
  Pick<
    GetObjectRequest,
    "Bucket" | "Key" | "IfMatch" | "IfNoneMatch" | "IfModifiedSince" | "IfUnmodifiedSince" | "Range" | "PartNumber" | "ChecksumMode"
  >
>;
export type CopyObjectInput = Wire<
  Pick<CopyObjectRequest, "Bucket" | "Key" | "CopySourceIfMatch" | "CopySourceIfNoneMatch" | "MetadataDirective" | "ChecksumAlgorithm">
> &
  ObjectFields & { Source: { Bucket: string; Key: string } };

/** What GetObject/HeadObject found: the object, and the part of it to send. */
export type ObjectRead =
  | { status: 304; object: S3Object }
  | { status: 200; object: S3Object }
  | { status: 206; object: S3Object; range: [number, number] };

export interface S3ServiceOptions {
  region: string;
  baseUrl: string;
}

const precondition = (condition: string) =>
  s3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, { Condition: condition });

export class S3Service {
  constructor(
    readonly store: S3Store,
    readonly options: S3ServiceOptions,
  ) {}

  bucket(name: string | undefined): Bucket {
    const bucket = this.store.buckets.get(name ?? "");
    if (!bucket) throw noSuchBucket(name ?? "");
    return bucket;
  }

  ListBuckets(): Bucket[] {
    return [...this.store.buckets.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  CreateBucket(input: CreateBucketRequest): { Location: string } {
    const name = input.Bucket ?? "";
    if (!bucketNamePattern.test(name) || name.includes("..")) {
      throw s3Error("InvalidBucketName", "The specified bucket is not valid.", 400, { BucketName: name });
    }
    const location = input.CreateBucketConfiguration?.LocationConstraint || "us-east-1";
    // AWS quirk: in us-east-1, re-creating a bucket you own succeeds.
    if (this.store.buckets.has(name) && location !== "us-east-1") {
      throw s3Error("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", 409, {
        BucketName: name,
      });
    }
    if (!this.store.buckets.has(name)) this.store.createBucket(name);
    return { Location: `/${name}` };
  }

  DeleteBucket(input: DeleteBucketRequest): void {
    const bucket = this.bucket(input.Bucket);
    if (bucket.objects.size > 0) {
      throw s3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, { BucketName: bucket.name });
    }
    this.store.deleteBucket(bucket.name);
  }

  HeadBucket(input: HeadBucketRequest): { BucketRegion: string } {
    this.bucket(input.Bucket);
    return { BucketRegion: this.options.region };
  }

  /** Empty for us-east-1, as S3 answers. */
  GetBucketLocation(input: { Bucket: string }): { LocationConstraint: string } {
    this.bucket(input.Bucket);
    return { LocationConstraint: this.options.region === "us-east-1" ? "" : this.options.region };
  }

  async PutObject(input: PutObjectInput, body: RequestBody): Promise<S3Object> {
    const bucket = this.bucket(input.Bucket);
    const key = checkKey(input.Key);
    const existing = bucket.objects.get(key);
    if (input.IfNoneMatch === "*" && existing) throw precondition("If-None-Match");
    if (input.IfMatch) {
      if (!existing) throw noSuchKey(key);
      if (!etagMatches(input.IfMatch, existing.etag)) throw precondition("If-Match");
    }
    return this.store.putObject(bucket, this.newObject(key, body.bytes, body.checksums, metaFrom(input)), body.bytes);
  }

  private newObject(key: string, bytes: Buffer, checksums: Checksums, meta: ReturnType<typeof metaFrom>): Omit<S3Object, "file" | "body"> {
    return {
      key,
      size: bytes.length,
      etag: `"${createHash("md5").update(bytes).digest("hex")}"`,
      lastModified: Date.now(),
      checksums,
      ...meta,
      ...(Object.keys(checksums).length ? { checksumType: "FULL_OBJECT" as const } : {}),
    };
  }

  GetObject(input: GetObjectInput): ObjectRead {
    const obj = this.bucket(input.Bucket).objects.get(input.Key ?? "");
    if (!obj) throw noSuchKey(input.Key ?? "");
    const modifiedSeconds = Math.floor(obj.lastModified / 1000);
    if (input.IfMatch && !etagMatches(input.IfMatch, obj.etag)) throw precondition("If-Match");
    if (!input.IfMatch && input.IfUnmodifiedSince && modifiedSeconds > Date.parse(input.IfUnmodifiedSince) / 1000)
      throw precondition("If-Unmodified-Since");
    if (input.IfNoneMatch && etagMatches(input.IfNoneMatch, obj.etag)) return { status: 304, object: obj };
    if (!input.IfNoneMatch && input.IfModifiedSince && modifiedSeconds <= Date.parse(input.IfModifiedSince) / 1000) {
      return { status: 304, object: obj };
    }
    const range = input.Range ? parseRange(input.Range, obj.size) : undefined;
    if (range === "invalid") {
      throw s3Error("InvalidRange", "The requested range is not satisfiable", 416, {
        RangeRequested: input.Range ?? "",
        ActualObjectSize: String(obj.size),
      });
    }
    return range ? { status: 206, object: obj, range } : { status: 200, object: obj };
  }

  body(obj: S3Object): Promise<Buffer> {
    return this.store.body(obj);
  }

  DeleteObject(input: DeleteObjectRequest): void {
    this.store.deleteObject(this.bucket(input.Bucket), input.Key ?? "");
  }

  /** Keys deleted (all of them: deleting a missing key succeeds), none when Quiet. */
  DeleteObjects(input: DeleteObjectsRequest): { Deleted: { Key: string }[] } {
    const bucket = this.bucket(input.Bucket);
    const objects = input.Delete?.Objects ?? [];
    if (objects.length === 0 || objects.length > 1000) throw malformedXml();
    const Deleted: { Key: string }[] = [];
    for (const o of objects) {
      const key = String(o.Key ?? "");
      this.store.deleteObject(bucket, key);
      if (!input.Delete?.Quiet) Deleted.push({ Key: key });
    }
    return { Deleted };
  }

  async CopyObject(input: CopyObjectInput): Promise<S3Object> {
    const target = this.bucket(input.Bucket);
    const key = checkKey(input.Key);
    const source = this.bucket(input.Source.Bucket).objects.get(input.Source.Key);
    if (!source) throw noSuchKey(input.Source.Key);
    if (input.CopySourceIfMatch && !etagMatches(input.CopySourceIfMatch, source.etag)) throw precondition("x-amz-copy-source-If-Match");
    if (input.CopySourceIfNoneMatch && etagMatches(input.CopySourceIfNoneMatch, source.etag)) {
      throw precondition("x-amz-copy-source-If-None-Match");
    }
    const replace = input.MetadataDirective?.toUpperCase() === "REPLACE";
    if (input.Source.Bucket === target.name && input.Source.Key === key && !replace) {
      throw s3Error(
        "InvalidRequest",
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        400,
      );
    }
    const bytes = await this.store.body(source);
    const checksums: Checksums = wireRecord();
    const algs = new Set<ChecksumAlgorithm>(Object.keys(source.checksums) as ChecksumAlgorithm[]);
    const requested = input.ChecksumAlgorithm?.toLowerCase() as ChecksumAlgorithm | undefined;
    if (requested && checksumAlgorithms.includes(requested)) algs.add(requested);
    for (const alg of algs) {
      const value = source.checksumType === "COMPOSITE" || !source.checksums[alg] ? computeChecksum(alg, bytes) : source.checksums[alg];
      if (value) checksums[alg] = value;
    }
    return this.store.putObject(target, this.newObject(key, bytes, checksums, replace ? metaFrom(input) : metaOf(source)), bytes);
  }
}

export function checkKey(key: string | undefined): string {
  if (Buffer.byteLength(key ?? "") > keyLimit) throw s3Error("KeyTooLongError", "Your key is too long", 400);
  return key ?? "";
}

export const malformedXml = () =>
  s3Error("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
