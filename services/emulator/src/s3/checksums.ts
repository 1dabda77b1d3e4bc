/** The flexible checksums S3 accepts (`x-amz-checksum-*`), base64 of the big-endian digest as AWS sends them. */
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";

export const checksumAlgorithms = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"] as const;
export type ChecksumAlgorithm = (typeof checksumAlgorithms)[number];

const crc32cTable = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

function crc32c(data: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crc32cTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** Base64 digest, or undefined for an algorithm the emulator stores without verifying (CRC64NVME). */
export function computeChecksum(algorithm: ChecksumAlgorithm, data: Buffer): string | undefined {
  switch (algorithm) {
    case "crc32":
      return u32(crc32(data)).toString("base64");
    case "crc32c":
      return u32(crc32c(data)).toString("base64");
    case "sha1":
      return createHash("sha1").update(data).digest("base64");
    case "sha256":
      return createHash("sha256").update(data).digest("base64");
    default:
      return undefined;
  }
}

/** The composite checksum of a multipart object: digest of the concatenated part digests, `-N`. */
export function compositeChecksum(algorithm: ChecksumAlgorithm, partChecksums: string[]): string | undefined {
  const joined = Buffer.concat(partChecksums.map((c) => Buffer.from(c, "base64")));
  const digest = computeChecksum(algorithm, joined);
  return digest === undefined ? undefined : `${digest}-${partChecksums.length}`;
}
