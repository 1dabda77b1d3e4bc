import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { originalKey, processedKey, processedKeyFor } from "./s3-keys.ts";

describe("S3 keys", () => {
  const book = randomUUID();
  const image = randomUUID();
  it("are deterministic per book and image", () => {
    expect(originalKey(book, image, "image/jpeg")).toBe(`books/${book}/images/${image}/original.jpg`);
    expect(processedKey(book, image)).toBe(`books/${book}/images/${image}/processed.png`);
    expect(processedKeyFor(originalKey(book, image, "image/webp"))).toBe(processedKey(book, image));
  });

  it("refuse ids that could escape the layout", () => {
    expect(() => originalKey("../../etc", image, "image/png")).toThrow(/bookId must be a UUID/);
    expect(() => processedKeyFor("books/../secret")).toThrow(/not an original image key/);
  });
});
