/** Multipart uploads: create, upload parts, complete (ETag and checksum of the whole as S3 computes them), abort, list. */
import { createHash, randomBytes } from "node:crypto";
import type {
  AbortMultipartUploadRequest,
  CompleteMultipartUploadRequest,
  CreateMultipartUploadRequest,
  ListMultipartUploadsRequest,
  ListPartsRequest,
  UploadPartRequest,
} from "@aws-sdk/client-s3";
import { wireRecord } from "../wire-record.ts";
import { type ChecksumAlgorithm, checksumAlgorithms, compositeChecksum, computeChecksum } from "./checksums.ts";
import { invalidArgument, noSuchUpload, s3Error } from "./s3-errors.ts";
import { etagMatches, metaFrom, type ObjectFields } from "./s3-object-fields.ts";
import type { Checksums, RequestBody } from "./s3-request-body.ts";
import { checkKey, malformedXml, type S3Service } from "./s3-service.ts";
import type { MultipartUpload, S3Object, UploadPart } from "./s3-store.ts";

const minPartSize = 5 * 1024 * 1024;

export type CreateUploadInput = Pick<CreateMultipartUploadRequest, "Bucket" | "Key" | "ChecksumAlgorithm" | "ChecksumType"> & ObjectFields;
export type UploadPartInput = Pick<UploadPartRequest, "Bucket" | "Key" | "UploadId"> & { PartNumber: string | undefined };
/** `Checksums`: what the request claims for the whole object (FULL_OBJECT uploads). */
export type CompleteUploadInput = Pick<CompleteMultipartUploadRequest, "Bucket" | "Key" | "UploadId" | "MultipartUpload"> & {
  Checksums: Checksums;
};
export type ListPartsInput = Pick<ListPartsRequest, "Bucket" | "Key" | "UploadId"> & { PartNumberMarker?: string; MaxParts?: string };

export class S3Multipart {
  constructor(private readonly s3: S3Service) {}

  private upload(bucketName: string | undefined, key: string | undefined, id: string | undefined): MultipartUpload {
    const upload = this.s3.bucket(bucketName).uploads.get(id ?? "");
    if (!upload || upload.key !== key) throw noSuchUpload(id ?? "");
    return upload;
  }

  CreateMultipartUpload(input: CreateUploadInput): MultipartUpload {
    const bucket = this.s3.bucket(input.Bucket);
    const key = checkKey(input.Key);
    const id = randomBytes(24).toString("base64url");
    const alg = input.ChecksumAlgorithm?.toLowerCase() as ChecksumAlgorithm | undefined;
    const checksumAlgorithm = alg && checksumAlgorithms.includes(alg) ? alg : undefined;
    const type = input.ChecksumType?.toUpperCase();
    const checksumType = checksumAlgorithm
      ? type === "FULL_OBJECT" || (!type && checksumAlgorithm === "crc64nvme")
        ? "FULL_OBJECT"
        : "COMPOSITE"
      : undefined;
    const upload: MultipartUpload = {
      id,
      key,
      initiated: Date.now(),
      meta: metaFrom(input),
      checksumAlgorithm,
      checksumType,
      parts: new Map(),
    };
    bucket.uploads.set(id, upload);
    return upload;
  }

  UploadPart(input: UploadPartInput, body: RequestBody): { part: UploadPart; checksums: Checksums } {
    const upload = this.upload(input.Bucket, input.Key, input.UploadId);
    const number = Number(input.PartNumber);
    if (!Number.isInteger(number) || number < 1 || number > 10_000) {
      throw invalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", input.PartNumber ?? "");
    }
    const alg = upload.checksumAlgorithm;
    const checksum = alg ? (body.checksums[alg] ?? computeChecksum(alg, body.bytes)) : undefined;
    const etag = `"${createHash("md5").update(body.bytes).digest("hex")}"`;
    const part = { number, etag, size: body.bytes.length, lastModified: Date.now(), checksum, body: body.bytes };
    upload.parts.set(number, part);
    const checksums: Checksums = wireRecord(Object.entries(body.checksums));
    if (alg && checksum) checksums[alg] = checksum;
    return { part, checksums };
  }

  async CompleteMultipartUpload(input: CompleteUploadInput): Promise<S3Object> {
    const bucket = this.s3.bucket(input.Bucket);
    const upload = this.upload(input.Bucket, input.Key, input.UploadId);
    const requested = input.MultipartUpload?.Parts ?? [];
    if (requested.length === 0) throw malformedXml();
    const parts: UploadPart[] = [];
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
          { UploadId: upload.id, PartNumber: String(n) },
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
    const checksums: Checksums = wireRecord();
    const alg = upload.checksumAlgorithm;
    if (alg) {
      const value =
        upload.checksumType === "FULL_OBJECT"
          ? computeChecksum(alg, body)
          : compositeChecksum(
              alg,
              parts.map((p) => p.checksum ?? ""),
            );
      const claimed = input.Checksums[alg];
      if (upload.checksumType === "FULL_OBJECT" && claimed && value && claimed !== value) {
        throw s3Error("BadDigest", `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`, 400);
      }
      if (value) checksums[alg] = value;
      else if (claimed) checksums[alg] = claimed;
    }
    bucket.uploads.delete(upload.id);
    return this.s3.store.putObject(
      bucket,
      {
        key: upload.key,
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
  }

  AbortMultipartUpload(input: AbortMultipartUploadRequest): void {
    const upload = this.upload(input.Bucket, input.Key, input.UploadId);
    this.s3.bucket(input.Bucket).uploads.delete(upload.id);
  }

  ListParts(input: ListPartsInput): { upload: MultipartUpload; parts: UploadPart[]; marker: number; maxParts: number; truncated: boolean } {
    const upload = this.upload(input.Bucket, input.Key, input.UploadId);
    const marker = Number(input.PartNumberMarker ?? 0);
    const maxParts = Math.min(Number(input.MaxParts ?? 1000), 1000);
    const all = [...upload.parts.values()].filter((p) => p.number > marker).sort((a, b) => a.number - b.number);
    const parts = all.slice(0, maxParts);
    return { upload, parts, marker, maxParts, truncated: all.length > parts.length };
  }

  ListMultipartUploads(input: ListMultipartUploadsRequest): MultipartUpload[] {
    const bucket = this.s3.bucket(input.Bucket);
    return [...bucket.uploads.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated - b.initiated));
  }
}
