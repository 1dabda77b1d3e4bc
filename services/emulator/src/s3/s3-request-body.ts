/**
 * A request body as S3 receives it: aws-chunked framing removed (with its trailing checksums),
 * `x-amz-content-sha256`, `Content-MD5` and every `x-amz-checksum-*` verified, and the checksum
 * the SDK asked for computed when it was not sent.
 */
import { createHash } from "node:crypto";
import { wireRecord } from "../wire-record.ts";
import { decodeAwsChunked } from "./aws-chunked.ts";
import { type ChecksumAlgorithm, checksumAlgorithms, computeChecksum } from "./checksums.ts";
import { s3Error } from "./s3-errors.ts";

export type Checksums = Partial<Record<ChecksumAlgorithm, string>>;

export interface RequestBody {
  bytes: Buffer;
  checksums: Checksums;
}

export function readRequestBody(headers: Record<string, string>, raw: Buffer): RequestBody {
  const h = headers;
  let body = raw;
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
  const checksums: Checksums = wireRecord();
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
  return { bytes: body, checksums };
}
