/**
 * MD5 digests that SQS returns and the SDKs verify. For message attributes AWS hashes, per
 * attribute in name order: 4-byte big-endian length + UTF-8 name, length + data type, one
 * transport byte (1 = string/number, 2 = binary), length + value bytes.
 */
import { createHash } from "node:crypto";

export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  /** Base64 on the wire (JSON) — kept as base64 here. */
  BinaryValue?: string;
}

export function md5Hex(data: string | Buffer): string {
  return createHash("md5").update(data).digest("hex");
}

function lengthPrefixed(value: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(value.length, 0);
  return Buffer.concat([len, value]);
}

export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const attr = attributes[name];
    parts.push(lengthPrefixed(Buffer.from(name, "utf8")), lengthPrefixed(Buffer.from(attr.DataType, "utf8")));
    if (attr.DataType.startsWith("Binary")) {
      parts.push(Buffer.from([2]), lengthPrefixed(Buffer.from(attr.BinaryValue ?? "", "base64")));
    } else {
      parts.push(Buffer.from([1]), lengthPrefixed(Buffer.from(attr.StringValue ?? "", "utf8")));
    }
  }
  return md5Hex(Buffer.concat(parts));
}
