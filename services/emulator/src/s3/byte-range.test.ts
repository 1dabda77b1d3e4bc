import { describe, expect, it } from "vitest";
import { parseRange } from "./byte-range.ts";

describe("parseRange", () => {
  it("handles first-last, open-ended and suffix ranges", () => {
    expect(parseRange("bytes=0-4", 10)).toEqual([0, 4]);
    expect(parseRange("bytes=5-", 10)).toEqual([5, 9]);
    expect(parseRange("bytes=-3", 10)).toEqual([7, 9]);
    expect(parseRange("bytes=8-100", 10)).toEqual([8, 9]);
  });

  it("reports unsatisfiable ranges and ignores malformed ones, as S3 does", () => {
    expect(parseRange("bytes=10-20", 10)).toBe("invalid");
    expect(parseRange("bytes=-0", 10)).toBe("invalid");
    expect(parseRange("bytes=5-2", 10)).toBeUndefined();
    expect(parseRange("items=0-1", 10)).toBeUndefined();
  });
});
