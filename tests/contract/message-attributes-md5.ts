import { createHash } from "node:crypto";
import type { MessageAttributeValue } from "@aws-sdk/client-sqs";

/**
 * MD5 of SQS message attributes, computed the way AWS documents it: attributes sorted by name,
 * each encoded as length-prefixed name, length-prefixed data type, a transport byte
 * (1 string, 2 binary) and the length-prefixed value. Lengths are 4-byte big-endian.
 */
export function messageAttributesMd5(attributes: Record<string, MessageAttributeValue>): string {
  const parts: Buffer[] = [];
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name];
    lengthPrefixed(Buffer.from(name, "utf8"));
    lengthPrefixed(Buffer.from(value.DataType ?? "", "utf8"));
    if (value.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      lengthPrefixed(Buffer.from(value.BinaryValue));
    } else {
      parts.push(Buffer.from([1]));
      lengthPrefixed(Buffer.from(value.StringValue ?? "", "utf8"));
    }
  }
  return createHash("md5").update(Buffer.concat(parts)).digest("hex");
}
