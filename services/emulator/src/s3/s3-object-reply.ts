/** GetObject/HeadObject replies: the object's headers (response-* overrides, checksums when asked), ranges, 304s. */
import type { HttpReply } from "../http-reply.ts";
import type { S3Request } from "./s3-route.ts";
import type { S3Service } from "./s3-service.ts";
import type { S3Object } from "./s3-store.ts";

const responseOverrides: [string, string][] = [
  ["response-content-type", "content-type"],
  ["response-content-disposition", "content-disposition"],
  ["response-content-encoding", "content-encoding"],
  ["response-content-language", "content-language"],
  ["response-cache-control", "cache-control"],
  ["response-expires", "expires"],
];

export const objectHeaders = {
  checksums(obj: S3Object): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [alg, v] of Object.entries(obj.checksums)) out[`x-amz-checksum-${alg}`] = v;
    if (obj.checksumType && Object.keys(out).length) out["x-amz-checksum-type"] = obj.checksumType;
    return out;
  },
  stored(obj: S3Object): Record<string, string | number> {
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
    return base;
  },
};

export async function getObjectReply(s3: S3Service, r: S3Request, head: boolean): Promise<HttpReply> {
  const h = r.headers;
  const read = s3.GetObject({
    Bucket: r.bucket,
    Key: r.key,
    IfMatch: h["if-match"],
    IfNoneMatch: h["if-none-match"],
    IfModifiedSince: h["if-modified-since"],
    IfUnmodifiedSince: h["if-unmodified-since"],
    Range: h.range,
    PartNumber: r.query.has("partNumber") ? Number(r.query.get("partNumber")) : undefined,
    ChecksumMode: h["x-amz-checksum-mode"]?.toUpperCase() as never,
  });
  const obj = read.object;
  const base = objectHeaders.stored(obj);
  if (read.status === 304) return { status: 304, headers: { etag: obj.etag, "last-modified": base["last-modified"] } };
  for (const [param, header] of responseOverrides) {
    const v = r.query.get(param);
    if (v !== null) base[header] = v;
  }
  if (read.status === 200 && h["x-amz-checksum-mode"]?.toUpperCase() === "ENABLED")
    for (const [k, v] of Object.entries(objectHeaders.checksums(obj))) base[k] = v;
  if (obj.partsCount && r.query.has("partNumber")) base["x-amz-mp-parts-count"] = obj.partsCount;
  if (read.status === 206) {
    const [start, end] = read.range;
    base["content-range"] = `bytes ${start}-${end}/${obj.size}`;
    base["content-length"] = end - start + 1;
    if (head) return { status: 206, headers: base };
    return { status: 206, headers: base, body: (await s3.body(obj)).subarray(start, end + 1) };
  }
  base["content-length"] = obj.size;
  if (head) return { status: 200, headers: base };
  return { status: 200, headers: base, body: await s3.body(obj) };
}
