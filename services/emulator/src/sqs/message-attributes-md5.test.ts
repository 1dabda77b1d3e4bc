import { describe, expect, it } from "vitest";
import { md5Hex, md5OfMessageAttributes } from "./message-attributes-md5.ts";

describe("md5OfMessageAttributes", () => {
  // Reference values computed with an independent implementation of AWS's encoding (moto's Message.attribute_md5).
  it("hashes string, number and binary attributes in name order", () => {
    const md5 = md5OfMessageAttributes({
      n: { DataType: "Number", StringValue: "5" },
      b: { DataType: "Binary", BinaryValue: Buffer.from([1, 2, 3]).toString("base64") },
      a: { DataType: "String", StringValue: "x" },
    });
    expect(md5).toBe("1e6354e37e264b9697562089ac3eae4a");
  });

  it("encodes custom types and non-ASCII values as UTF-8 bytes", () => {
    expect(md5OfMessageAttributes({ trace: { DataType: "String.custom", StringValue: "héllo" } })).toBe("f74c10d7c6a1a6870969f751ae4a1c40");
  });

  it("returns undefined when there are no attributes (SQS then omits the field)", () => {
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });

  it("hashes bodies as UTF-8", () => {
    expect(md5Hex("hello")).toBe("5d41402abc4b2a76b9719d911017c592");
  });
});
