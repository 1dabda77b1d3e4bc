import { describe, expect, it } from "vitest";
import { fillHoles } from "./fill-holes.ts";

/** Rows of "#" (255) and "." (0) → mask bytes. */
function maskOf(rows: string[]): Uint8Array {
  return Uint8Array.from(rows.join(""), (c) => (c === "#" ? 255 : 0));
}
const show = (mask: Uint8Array, width: number) =>
  Array.from({ length: mask.length / width }, (_, y) =>
    Array.from(mask.subarray(y * width, (y + 1) * width), (v) => (v >= 128 ? "#" : ".")).join(""),
  );

describe("fillHoles", () => {
  it("fills enclosed background and leaves background reachable from the edge", () => {
    const rows = [
      "........", //
      ".####...",
      ".#..#.#.",
      ".####.#.",
      "......#.",
      "##......",
      ".#......",
    ];
    const mask = maskOf(rows);
    expect(fillHoles(mask, 8, 7)).toBe(2);
    expect(show(mask, 8)).toEqual([
      "........", //
      ".####...",
      ".####.#.",
      ".####.#.",
      "......#.",
      "##......",
      ".#......", // the corner pocket touches the border: not a hole
    ]);
  });

  it("does not fill across a diagonal gap (4-connectivity of the background)", () => {
    const mask = maskOf([
      "#####", //
      "#...#",
      "#.#.#",
      "#...#",
      "####.",
    ]);
    // The inner ring reaches the border through the bottom-right corner only diagonally: a hole.
    expect(fillHoles(mask, 5, 5)).toBe(8);
    expect(show(mask, 5).slice(0, 4)).toEqual(["#####", "#####", "#####", "#####"]);
  });

  it("treats soft values by the threshold and keeps the soft values it does not fill", () => {
    const mask = Uint8Array.from([200, 200, 200, 200, 60, 200, 200, 200, 200]);
    expect(fillHoles(mask, 3, 3)).toBe(1);
    expect([...mask]).toEqual([200, 200, 200, 200, 255, 200, 200, 200, 200]);
  });

  it("fills exactly what a pixel flood from the border does not reach, on random masks", () => {
    let t = 7;
    const random = () => {
      t = (t * 1103515245 + 12345) % 2147483648;
      return t / 2147483648;
    };
    for (let round = 0; round < 30; round++) {
      const width = 4 + Math.floor(random() * 30);
      const height = 4 + Math.floor(random() * 30);
      const mask = Uint8Array.from({ length: width * height }, () => (random() < 0.55 ? 255 : 0));
      // Reference: flood the background from the border pixel by pixel.
      const reached = new Uint8Array(mask.length);
      const stack: number[] = [];
      const visit = (x: number, y: number) => {
        const i = y * width + x;
        if (x >= 0 && x < width && y >= 0 && y < height && !reached[i] && mask[i] < 128) {
          reached[i] = 1;
          stack.push(i);
        }
      };
      for (let x = 0; x < width; x++) {
        visit(x, 0);
        visit(x, height - 1);
      }
      for (let y = 0; y < height; y++) {
        visit(0, y);
        visit(width - 1, y);
      }
      while (stack.length) {
        const i = stack.pop() as number;
        const x = i % width;
        const y = (i - x) / width;
        visit(x - 1, y);
        visit(x + 1, y);
        visit(x, y - 1);
        visit(x, y + 1);
      }
      const expected = Uint8Array.from(mask, (v, i) => (v < 128 && !reached[i] ? 255 : v));
      const holes = expected.reduce((n, v, i) => n + (v !== mask[i] ? 1 : 0), 0);
      expect(fillHoles(mask, width, height)).toBe(holes);
      expect(mask).toEqual(expected);
    }
  });

  it("rejects a mask of the wrong size", () => {
    expect(() => fillHoles(new Uint8Array(5), 2, 2)).toThrow(/5 bytes, expected 2×2/);
  });
});
