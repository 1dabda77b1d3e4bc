/** The object fields a request sets (`Content-*`, `Expires`, `x-amz-meta-*`) and ETag conditions, as S3 compares them. */
import type { PutObjectRequest } from "@aws-sdk/client-s3";
import { wireRecord } from "../wire-record.ts";
import type { ObjectMeta, S3Object } from "./s3-store.ts";

/** As on the wire: `Expires` is the header's text. */
export type ObjectFields = Pick<
  PutObjectRequest,
  "ContentType" | "ContentEncoding" | "ContentDisposition" | "ContentLanguage" | "CacheControl" | "Metadata"
> & {
  Expires?: string;
};

export function objectFieldsFromHeaders(h: Record<string, string>): ObjectFields {
  const metadata: Record<string, string> = wireRecord();
  for (const [k, v] of Object.entries(h)) if (k.startsWith("x-amz-meta-")) metadata[k.slice("x-amz-meta-".length)] = v;
  // aws-chunked is transfer framing, not the object's encoding.
  const encoding = h["content-encoding"]
    ?.split(",")
    .map((e) => e.trim())
    .filter((e) => e && e !== "aws-chunked")
    .join(", ");
  return {
    ContentType: h["content-type"] || undefined,
    ContentEncoding: encoding || undefined,
    ContentDisposition: h["content-disposition"],
    ContentLanguage: h["content-language"],
    CacheControl: h["cache-control"],
    Expires: h.expires,
    Metadata: metadata,
  };
}

export function metaFrom(fields: ObjectFields): ObjectMeta {
  return {
    contentType: fields.ContentType,
    contentEncoding: fields.ContentEncoding,
    contentDisposition: fields.ContentDisposition,
    contentLanguage: fields.ContentLanguage,
    cacheControl: fields.CacheControl,
    expires: fields.Expires,
    metadata: { ...(fields.Metadata ?? {}) },
  };
}

export function metaOf(o: S3Object): ObjectMeta {
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

/** Whether an `If-Match`-style list of ETags (or `*`) matches `etag`. */
export function etagMatches(header: string, etag: string): boolean {
  const bare = etag.replace(/"/g, "");
  return header.split(",").some((t) => {
    const v = t.trim().replace(/^W\//, "").replace(/"/g, "");
    return v === "*" || v === bare;
  });
}
