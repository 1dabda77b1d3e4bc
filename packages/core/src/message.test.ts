import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InvalidMessageError, parseImageJobMessage, serializeImageJobMessage } from "./message.ts";

const valid = {
  v: 1 as const,
  jobId: randomUUID(),
  bookId: randomUUID(),
  imageId: randomUUID(),
  sourceKey: "books/x/images/y/original.jpg",
};

describe("image job message", () => {
  it("round-trips", () => {
    expect(parseImageJobMessage(serializeImageJobMessage(valid))).toEqual(valid);
  });

  it("rejects a body that is not JSON, quoting it", () => {
    expect(() => parseImageJobMessage("hello")).toThrow(new InvalidMessageError('message body is not JSON: "hello"'));
  });

  it("rejects a wrong version, a bad uuid and extra fields, naming them", () => {
    expect(() => parseImageJobMessage(JSON.stringify({ ...valid, v: 2 }))).toThrow(/v: /);
    expect(() => parseImageJobMessage(JSON.stringify({ ...valid, jobId: "42" }))).toThrow(/jobId: /);
    expect(() => parseImageJobMessage(JSON.stringify({ ...valid, extra: 1 }))).toThrow(InvalidMessageError);
  });
});
