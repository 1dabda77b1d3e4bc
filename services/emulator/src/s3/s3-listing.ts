/** ListObjects (v1 markers) and ListObjectsV2 (continuation tokens) over a bucket's sorted keys, with prefix and delimiter. */
import type { ListObjectsRequest, ListObjectsV2Request } from "@aws-sdk/client-s3";
import type { XmlNode } from "../xml.ts";
import { invalidArgument } from "./s3-errors.ts";
import type { S3Service } from "./s3-service.ts";
import type { S3Object } from "./s3-store.ts";
import { iso, owner } from "./s3-xml-reply.ts";

/** Both versions' parameters as the query carries them; `V2` picks the reply shape. */
export type ListObjectsInput = Pick<ListObjectsRequest, "Bucket" | "Prefix" | "Delimiter" | "Marker"> &
  Pick<ListObjectsV2Request, "ContinuationToken" | "StartAfter"> & { MaxKeys?: string; EncodingType?: string; V2: boolean };

/** The `ListBucketResult` element's content. */
export function listObjects(s3: S3Service, input: ListObjectsInput): XmlNode {
  const bucket = s3.bucket(input.Bucket);
  const { V2: v2, ContinuationToken: token } = input;
  const prefix = input.Prefix ?? "";
  const delimiter = input.Delimiter ?? "";
  const maxKeys = input.MaxKeys === undefined ? 1000 : Number(input.MaxKeys);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    throw invalidArgument("Provided max-keys not an integer or within integer range", "max-keys", input.MaxKeys ?? "");
  }
  const limit = Math.min(maxKeys, 1000);
  const urlEncode = input.EncodingType === "url";
  const enc = (s: string) => (urlEncode ? encodeURIComponent(s).replace(/%2F/g, "/") : s);
  let after: string;
  if (v2 && token !== undefined) {
    if (!token) throw invalidArgument("The continuation token provided is incorrect", "continuation-token", token);
    after = Buffer.from(token, "base64url").toString("utf8");
  } else after = (v2 ? input.StartAfter : input.Marker) ?? "";
  const keys = s3.store.sortedKeys(bucket);
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
    if (common !== undefined && (prefixes[prefixes.length - 1] === common || after.startsWith(common))) continue;
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
  const head: XmlNode = { Name: bucket.name, Prefix: enc(prefix) };
  const shared = { MaxKeys: maxKeys, ...(delimiter ? { Delimiter: enc(delimiter) } : {}), ...(urlEncode ? { EncodingType: "url" } : {}) };
  if (v2) {
    Object.assign(head, {
      ...(token !== undefined ? { ContinuationToken: token } : {}),
      ...(input.StartAfter !== undefined ? { StartAfter: enc(input.StartAfter) } : {}),
      KeyCount: contents.length + prefixes.length,
      ...shared,
      IsTruncated: truncated,
      ...(truncated ? { NextContinuationToken: Buffer.from(last).toString("base64url") } : {}),
    });
  } else {
    Object.assign(head, {
      Marker: enc(after),
      ...(truncated && delimiter ? { NextMarker: enc(last) } : {}),
      ...shared,
      IsTruncated: truncated,
    });
  }
  return { ...head, ...items };
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
