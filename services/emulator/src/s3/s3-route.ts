/** One row of S3's route table, what it matches on, and the helpers rows share. */
import type { HttpReply } from "../http-reply.ts";
import type { Authorization } from "../service-call.ts";
import { parseXml, type XmlNode } from "../xml.ts";
import type { S3Multipart } from "./s3-multipart.ts";
import { readRequestBody } from "./s3-request-body.ts";
import { malformedXml, type S3Service } from "./s3-service.ts";

/** A path-style request, decoded. */
export interface S3Request {
  method: string;
  bucket: string;
  key: string;
  /** The path names an object (even an empty-named one), not just a bucket. */
  hasKey: boolean;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
  /** From `x-amz-copy-source`, when present. */
  copySource?: { bucket: string; key: string };
}

export interface S3Handlers {
  s3: S3Service;
  multipart: S3Multipart;
}

export interface S3Route {
  operation: string;
  method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE";
  scope: "service" | "bucket" | "object";
  /** Query parameters that must be present. */
  query?: string[];
  /** Only when the query names no other sub-resource. */
  plain?: boolean;
  when?: (r: S3Request) => boolean;
  action: string;
  /** IAM resource; the bucket's or the object's ARN by scope when unset. */
  resource?: (r: S3Request) => string;
  /** Further authorizations (CopyObject reads its source). */
  also?: (r: S3Request) => Authorization[];
  run: (h: S3Handlers, r: S3Request) => HttpReply | Promise<HttpReply>;
}

export const subresources = new Set([
  ...["acl", "tagging", "policy", "cors", "lifecycle", "website", "logging", "notification", "replication", "encryption", "versions"],
  ...["versioning", "retention", "legal-hold", "object-lock", "attributes", "restore", "select", "torrent", "uploads", "uploadId"],
  ...["location", "accelerate", "analytics", "inventory", "metrics", "ownershipControls", "publicAccessBlock", "requestPayment"],
  "intelligent-tiering",
]);

export const noContent: HttpReply = { status: 204 };
export const checksumFields = (checksums: Record<string, string>): XmlNode =>
  Object.fromEntries(Object.entries(checksums).map(([alg, v]) => [`Checksum${alg.toUpperCase()}`, v]));
export const requestBody = (r: S3Request) => readRequestBody(r.headers, r.body);
export async function xmlDocument(r: S3Request): Promise<Record<string, unknown>> {
  try {
    return await parseXml(requestBody(r).bytes);
  } catch {
    throw malformedXml();
  }
}
export const uploadOf = (r: S3Request) => ({ Bucket: r.bucket, Key: r.key, UploadId: r.query.get("uploadId") ?? undefined });
export const onlySigningParams = (r: S3Request) => [...r.query.keys()].every((k) => k === "x-id" || k.startsWith("X-Amz-"));

/** The first route the request matches. */
export function matchRoute(r: S3Request, routes: S3Route[]): S3Route | undefined {
  const scope = !r.bucket ? "service" : r.hasKey ? "object" : "bucket";
  return routes.find(
    (route) =>
      route.method === r.method &&
      route.scope === scope &&
      (route.query ?? []).every((q) => r.query.has(q)) &&
      (!route.plain || [...r.query.keys()].every((k) => !subresources.has(k) || route.query?.includes(k))) &&
      (route.when?.(r) ?? true),
  );
}
