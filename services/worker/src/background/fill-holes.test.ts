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

  it("rejects a mask of the wrong size", () => {
    expect(() => fillHoles(new Uint8Array(5), 2, 2)).toThrow(/5 bytes, expected 2×2/);
  });
});
