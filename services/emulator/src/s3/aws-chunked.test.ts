import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { AwsServiceError } from "../errors.ts";
import { decodeAwsChunked } from "./aws-chunked.ts";

const crcB64 = (b: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(b));
  return out.toString("base64");
};

describe("decodeAwsChunked", () => {
  it("decodes unsigned chunks with a trailing checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER)", () => {
    const a = Buffer.from("hello ");
    const b = Buffer.from("world\r\nwith CRLF inside");
    const raw = Buffer.concat([
      Buffer.from(`${a.length.toString(16)}\r\n`),
      a,
      Buffer.from(`\r\n${b.length.toString(16)}\r\n`),
      b,
      Buffer.from(`\r\n0\r\nx-amz-checksum-crc32:${crcB64(Buffer.concat([a, b]))}\r\n\r\n`),
    ]);
    const decoded = decodeAwsChunked(raw);
    expect(decoded.body.toString()).toBe("hello world\r\nwith CRLF inside");
    expect(decoded.trailers["x-amz-checksum-crc32"]).toBe(crcB64(Buffer.concat([a, b])));
  });

  it("decodes signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) and ignores chunk signatures", () => {
    const data = Buffer.alloc(70_000, 0x61);
    const sig = "a".repeat(64);
    const raw = Buffer.concat([
      Buffer.from(`10000;chunk-signature=${sig}\r\n`),
      data.subarray(0, 0x10000),
      Buffer.from(`\r\n${(data.length - 0x10000).toString(16)};chunk-signature=${sig}\r\n`),
      data.subarray(0x10000),
      Buffer.from(`\r\n0;chunk-signature=${sig}\r\n\r\n`),
    ]);
    const decoded = decodeAwsChunked(raw);
    expect(decoded.body.equals(data)).toBe(true);
    expect(decoded.trailers).toEqual({});
  });

  it("decodes an empty body", () => {
    expect(decodeAwsChunked(Buffer.from("0\r\n\r\n")).body.length).toBe(0);
  });

  it("rejects a truncated body with an AWS error", () => {
    const raw = Buffer.from("10\r\nshort\r\n");
    expect(() => decodeAwsChunked(raw)).toThrow(AwsServiceError);
    expect(() => decodeAwsChunked(Buffer.from("zz\r\n"))).toThrow(/chunk size/);
  });
});
