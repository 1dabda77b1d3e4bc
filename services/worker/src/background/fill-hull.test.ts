import { describe, expect, it } from "vitest";
import { fillHull } from "./fill-hull.ts";

/** A width × height mask with the given rectangles set to 255. */
function maskWith(width: number, height: number, rects: [number, number, number, number][]): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (const [x0, y0, w, h] of rects) for (let y = y0; y < y0 + h; y++) mask.fill(255, y * width + x0, y * width + x0 + w);
  return mask;
}
const count = (mask: Uint8Array) => mask.reduce((n, v) => n + (v >= 128 ? 1 : 0), 0);

describe("fillHull", () => {
  it("fills a hollowed book (spine + top band: an upside-down L) to its rectangle", () => {
    // 40×60 book at (10, 10): spine 6 px wide full height, band 20 px high across the top.
    const mask = maskWith(80, 80, [
      [10, 10, 6, 60],
      [10, 10, 40, 20],
    ]);
    fillHull(mask, 80, 80);
    // The hull of an L is the triangle-cut rectangle: at least the band, spine and the diagonal half.
    expect(count(mask)).toBeGreaterThan(0.7 * 40 * 60);
    expect(mask[25 * 80 + 30]).toBe(255); // inside the hull, below the band
  });

  it("leaves convex components and separate books alone", () => {
    const mask = maskWith(100, 60, [
      [5, 5, 20, 50],
      [40, 10, 20, 40],
      [75, 5, 20, 45],
    ]);
    const before = Uint8Array.from(mask);
    expect(fillHull(mask, 100, 60)).toBe(0);
    expect(mask).toEqual(before);
  });

  it("ignores small components", () => {
    const mask = maskWith(100, 100, [
      [10, 10, 1, 10],
      [10, 10, 10, 1],
    ]);
    expect(fillHull(mask, 100, 100)).toBe(0);
  });
});
