/** The multipart rows of S3's route table (create, upload part, complete, abort, list parts and uploads). */
import { asArray } from "../xml.ts";
import { objectFieldsFromHeaders } from "./s3-object-fields.ts";
import { checksumFields, noContent, requestBody, type S3Route, uploadOf, xmlDocument } from "./s3-route.ts";
import { iso, owner, xmlReply } from "./s3-xml-reply.ts";

export const multipartRoutes: S3Route[] = [
  {
    operation: "ListMultipartUploads",
    method: "GET",
    scope: "bucket",
    query: ["uploads"],
    action: "s3:ListBucketMultipartUploads",
    run: ({ multipart }, r) =>
      xmlReply("ListMultipartUploadsResult", {
        Bucket: r.bucket,
        KeyMarker: "",
        UploadIdMarker: "",
        MaxUploads: 1000,
        IsTruncated: false,
        Upload: multipart.ListMultipartUploads({ Bucket: r.bucket }).map((u) => ({
          Key: u.key,
          UploadId: u.id,
          Initiator: owner,
          Owner: owner,
          StorageClass: "STANDARD",
          Initiated: iso(u.initiated),
        })),
      }),
  },
  {
    operation: "ListParts",
    method: "GET",
    scope: "object",
    query: ["uploadId"],
    action: "s3:ListMultipartUploadParts",
    run: ({ multipart }, r) => {
      const input = {
        ...uploadOf(r),
        PartNumberMarker: r.query.get("part-number-marker") ?? undefined,
        MaxParts: r.query.get("max-parts") ?? undefined,
      };
      const { upload: u, parts, marker, maxParts, truncated } = multipart.ListParts(input);
      const alg = u.checksumAlgorithm;
      return xmlReply("ListPartsResult", {
        Bucket: r.bucket,
        Key: r.key,
        UploadId: u.id,
        PartNumberMarker: marker,
        ...(parts.length ? { NextPartNumberMarker: parts[parts.length - 1].number } : {}),
        MaxParts: maxParts,
        IsTruncated: truncated,
        Part: parts.map((p) => ({
          PartNumber: p.number,
          LastModified: iso(p.lastModified),
          ETag: p.etag,
          Size: p.size,
          ...(alg && p.checksum ? { [`Checksum${alg.toUpperCase()}`]: p.checksum } : {}),
        })),
        Initiator: owner,
        Owner: owner,
        StorageClass: "STANDARD",
        ...(alg ? { ChecksumAlgorithm: alg.toUpperCase(), ChecksumType: u.checksumType } : {}),
      });
    },
  },
  {
    operation: "UploadPart",
    method: "PUT",
    scope: "object",
    query: ["uploadId", "partNumber"],
    when: (r) => r.copySource === undefined,
    action: "s3:PutObject",
    run: ({ multipart }, r) => {
      const { part, checksums } = multipart.UploadPart(
        { ...uploadOf(r), PartNumber: r.query.get("partNumber") ?? undefined },
        requestBody(r),
      );
      const headers: Record<string, string> = { etag: part.etag };
      for (const [a, v] of Object.entries(checksums)) headers[`x-amz-checksum-${a}`] = v;
      return { status: 200, headers };
    },
  },
  {
    operation: "CreateMultipartUpload",
    method: "POST",
    scope: "object",
    query: ["uploads"],
    action: "s3:PutObject",
    run: ({ multipart }, r) => {
      const h = r.headers;
      const u = multipart.CreateMultipartUpload({
        Bucket: r.bucket,
        Key: r.key,
        ChecksumAlgorithm: h["x-amz-checksum-algorithm"] as never,
        ChecksumType: h["x-amz-checksum-type"] as never,
        ...objectFieldsFromHeaders(h),
      });
      const headers: Record<string, string> = {};
      if (u.checksumAlgorithm) {
        headers["x-amz-checksum-algorithm"] = u.checksumAlgorithm.toUpperCase();
        headers["x-amz-checksum-type"] = u.checksumType!;
      }
      return xmlReply("InitiateMultipartUploadResult", { Bucket: r.bucket, Key: r.key, UploadId: u.id }, headers);
    },
  },
  {
    operation: "CompleteMultipartUpload",
    method: "POST",
    scope: "object",
    query: ["uploadId"],
    action: "s3:PutObject",
    run: async ({ s3, multipart }, r) => {
      const doc = await xmlDocument(r);
      const requested = asArray(
        (doc.CompleteMultipartUpload as { Part?: unknown } | undefined)?.Part as { PartNumber?: string; ETag?: string }[],
      );
      const Checksums = Object.fromEntries(
        Object.entries(r.headers).flatMap(([k, v]) =>
          k.startsWith("x-amz-checksum-") && k !== "x-amz-checksum-type" ? [[k.slice(15), v]] : [],
        ),
      );
      const obj = await multipart.CompleteMultipartUpload({
        ...uploadOf(r),
        MultipartUpload: { Parts: requested.map((p) => ({ PartNumber: Number(p.PartNumber), ETag: p.ETag })) },
        Checksums,
      });
      return xmlReply("CompleteMultipartUploadResult", {
        Location: `${s3.options.baseUrl}/${r.bucket}/${encodeURI(r.key)}`,
        Bucket: r.bucket,
        Key: r.key,
        ETag: obj.etag,
        ...checksumFields(obj.checksums),
        ...(obj.checksumType ? { ChecksumType: obj.checksumType } : {}),
      });
    },
  },
  {
    operation: "AbortMultipartUpload",
    method: "DELETE",
    scope: "object",
    query: ["uploadId"],
    action: "s3:AbortMultipartUpload",
    run: ({ multipart }, r) => {
      multipart.AbortMultipartUpload(uploadOf(r));
      return noContent;
    },
  },
];
