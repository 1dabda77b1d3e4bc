/**
 * Decodes `content-encoding: aws-chunked` bodies: `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n`
 * repeated, a zero-size chunk, then optional trailer headers (`x-amz-checksum-crc32:…`) and a
 * blank line. SDK v3 sends stream bodies this way with a trailing checksum.
 */
import { AwsServiceError } from "../errors.ts";
import { wireRecord } from "../wire-record.ts";

export interface DecodedChunks {
  body: Buffer;
  trailers: Record<string, string>;
}

const crlf = Buffer.from("\r\n");

function malformed(reason: string): AwsServiceError {
  return new AwsServiceError("IncompleteBody", `The request body is not valid aws-chunked encoding: ${reason}.`, 400);
}

export function decodeAwsChunked(raw: Buffer): DecodedChunks {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = raw.indexOf(crlf, pos);
    if (eol < 0) throw malformed("missing chunk header");
    const header = raw.toString("latin1", pos, eol);
    const sizeHex = header.split(";")[0].trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeHex)) throw malformed(`bad chunk size "${sizeHex.slice(0, 20)}"`);
    const size = Number.parseInt(sizeHex, 16);
    pos = eol + 2;
    if (size === 0) break;
    if (pos + size > raw.length) throw malformed("chunk longer than the body");
    parts.push(raw.subarray(pos, pos + size));
    pos += size;
    if (raw[pos] !== 0x0d || raw[pos + 1] !== 0x0a) throw malformed("chunk not followed by CRLF");
    pos += 2;
  }
  const trailers: Record<string, string> = wireRecord();
  while (pos < raw.length) {
    let eol = raw.indexOf(crlf, pos);
    if (eol < 0) eol = raw.length;
    const line = raw.toString("latin1", pos, eol);
    pos = eol + 2;
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { body: parts.length === 1 ? parts[0] : Buffer.concat(parts), trailers };
}
