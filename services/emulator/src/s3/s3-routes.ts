/**
 * S3's REST routes as a table: method, scope (service, bucket or object), the query parameters
 * and headers that select the operation, the IAM action, and how the request becomes the
 * operation's input and its result a reply. The first matching row wins; none matching is 501.
 */
import { asArray } from "../xml.ts";
import { bucketConfigRoutes } from "./s3-bucket-config-routes.ts";
import { listObjects } from "./s3-listing.ts";
import { multipartRoutes } from "./s3-multipart-routes.ts";
import { objectFieldsFromHeaders } from "./s3-object-fields.ts";
import { getObjectReply, objectHeaders } from "./s3-object-reply.ts";
import { checksumFields, noContent, onlySigningParams, requestBody, type S3Route, xmlDocument } from "./s3-route.ts";
import { malformedXml } from "./s3-service.ts";
import { iso, owner, xmlReply, xmlTextReply } from "./s3-xml-reply.ts";

export const s3Routes: S3Route[] = [
  ...multipartRoutes,
  ...bucketConfigRoutes,
  {
    operation: "ListBuckets",
    method: "GET",
    scope: "service",
    action: "s3:ListAllMyBuckets",
    resource: () => "arn:aws:s3:::*",
    run: ({ s3 }) =>
      xmlReply("ListAllMyBucketsResult", {
        Owner: owner,
        Buckets: { Bucket: s3.ListBuckets().map((b) => ({ Name: b.name, CreationDate: iso(b.createdAt) })) },
      }),
  },
  {
    operation: "CreateBucket",
    method: "PUT",
    scope: "bucket",
    when: onlySigningParams,
    action: "s3:CreateBucket",
    run: ({ s3 }, r) => {
      const location = /<LocationConstraint>([^<]*)<\/LocationConstraint>/.exec(r.body.toString("utf8"))?.[1];
      const out = s3.CreateBucket({
        Bucket: r.bucket,
        CreateBucketConfiguration: location ? { LocationConstraint: location as never } : undefined,
      });
      return { status: 200, headers: { location: out.Location } };
    },
  },
  {
    operation: "DeleteBucket",
    method: "DELETE",
    scope: "bucket",
    plain: true,
    action: "s3:DeleteBucket",
    run: ({ s3 }, r) => {
      s3.DeleteBucket({ Bucket: r.bucket });
      return noContent;
    },
  },
  {
    operation: "HeadBucket",
    method: "HEAD",
    scope: "bucket",
    action: "s3:ListBucket",
    run: ({ s3 }, r) => ({ status: 200, headers: { "x-amz-bucket-region": s3.HeadBucket({ Bucket: r.bucket }).BucketRegion } }),
  },
  {
    operation: "GetBucketLocation",
    method: "GET",
    scope: "bucket",
    query: ["location"],
    action: "s3:GetBucketLocation",
    run: ({ s3 }, r) => xmlTextReply("LocationConstraint", s3.GetBucketLocation({ Bucket: r.bucket }).LocationConstraint),
  },
  {
    operation: "GetBucketVersioning",
    method: "GET",
    scope: "bucket",
    query: ["versioning"],
    action: "s3:GetBucketVersioning",
    run: ({ s3 }, r) => {
      s3.bucket(r.bucket);
      return xmlReply("VersioningConfiguration", {});
    },
  },
  {
    operation: "ListObjects",
    method: "GET",
    scope: "bucket",
    plain: true,
    action: "s3:ListBucket",
    run: ({ s3 }, r) => {
      const q = (name: string) => r.query.get(name) ?? undefined;
      const V2 = r.query.get("list-type") === "2";
      const input = {
        Bucket: r.bucket,
        Prefix: q("prefix"),
        Delimiter: q("delimiter"),
        Marker: q("marker"),
        ContinuationToken: q("continuation-token"),
        StartAfter: q("start-after"),
        MaxKeys: q("max-keys"),
        EncodingType: q("encoding-type"),
        V2,
      };
      return xmlReply("ListBucketResult", listObjects(s3, input));
    },
  },
  {
    operation: "DeleteObjects",
    method: "POST",
    scope: "bucket",
    query: ["delete"],
    action: "s3:DeleteObject",
    resource: (r) => `arn:aws:s3:::${r.bucket}/*`,
    run: async ({ s3 }, r) => {
      const del = (await xmlDocument(r)).Delete as { Object?: unknown; Quiet?: string } | undefined;
      if (!del) throw malformedXml();
      const Objects = asArray(del.Object as { Key?: string }[] | { Key?: string }).map((o) => ({ Key: String(o.Key ?? "") }));
      const Quiet = String(del.Quiet ?? "").toLowerCase() === "true";
      return xmlReply("DeleteResult", s3.DeleteObjects({ Bucket: r.bucket, Delete: { Objects, Quiet } }));
    },
  },
  {
    operation: "GetObject",
    method: "GET",
    scope: "object",
    plain: true,
    action: "s3:GetObject",
    run: ({ s3 }, r) => getObjectReply(s3, r, false),
  },
  {
    operation: "HeadObject",
    method: "HEAD",
    scope: "object",
    plain: true,
    action: "s3:GetObject",
    run: ({ s3 }, r) => getObjectReply(s3, r, true),
  },
  {
    operation: "CopyObject",
    method: "PUT",
    scope: "object",
    when: (r) => r.copySource !== undefined && !r.query.has("uploadId"),
    action: "s3:PutObject",
    also: (r) => [{ action: "s3:GetObject", resource: `arn:aws:s3:::${r.copySource!.bucket}/${r.copySource!.key}` }],
    run: async ({ s3 }, r) => {
      const h = r.headers;
      const obj = await s3.CopyObject({
        Bucket: r.bucket,
        Key: r.key,
        Source: { Bucket: r.copySource!.bucket, Key: r.copySource!.key },
        CopySourceIfMatch: h["x-amz-copy-source-if-match"],
        CopySourceIfNoneMatch: h["x-amz-copy-source-if-none-match"],
        MetadataDirective: h["x-amz-metadata-directive"] as never,
        ChecksumAlgorithm: h["x-amz-checksum-algorithm"] as never,
        ...objectFieldsFromHeaders(h),
      });
      return xmlReply("CopyObjectResult", { ETag: obj.etag, LastModified: iso(obj.lastModified), ...checksumFields(obj.checksums) });
    },
  },
  {
    operation: "PutObject",
    method: "PUT",
    scope: "object",
    plain: true,
    when: (r) => r.copySource === undefined,
    action: "s3:PutObject",
    run: async ({ s3 }, r) => {
      const h = r.headers;
      const input = {
        Bucket: r.bucket,
        Key: r.key,
        IfMatch: h["if-match"],
        IfNoneMatch: h["if-none-match"],
        ...objectFieldsFromHeaders(h),
      };
      const obj = await s3.PutObject(input, requestBody(r));
      return { status: 200, headers: { etag: obj.etag, ...objectHeaders.checksums(obj) } };
    },
  },
  {
    operation: "DeleteObject",
    method: "DELETE",
    scope: "object",
    plain: true,
    action: "s3:DeleteObject",
    run: ({ s3 }, r) => {
      s3.DeleteObject({ Bucket: r.bucket, Key: r.key });
      return noContent;
    },
  },
];
