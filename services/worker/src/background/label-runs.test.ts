import { describe, expect, it } from "vitest";
import { labelRuns } from "./label-runs.ts";

/** Reference: 4-connected components of one pixel class by a plain pixel flood, −1 elsewhere. */
function floodLabels(mask: Uint8Array, width: number, height: number, threshold: number, foreground: boolean): Int32Array {
  const inClass = (i: number) => mask[i] >= threshold === foreground;
  const labels = new Int32Array(mask.length).fill(-1);
  let next = 0;
  for (let s = 0; s < mask.length; s++) {
    if (labels[s] >= 0 || !inClass(s)) continue;
    const stack = [s];
    labels[s] = next;
    while (stack.length) {
      const i = stack.pop() as number;
      const x = i % width;
      const y = (i - x) / width;
      for (const [nx, ny] of [
        [x - 1, y],
        [x + 1, y],
        [x, y - 1],
        [x, y + 1],
      ]) {
        const j = ny * width + nx;
        if (nx >= 0 && nx < width && ny >= 0 && ny < height && labels[j] < 0 && inClass(j)) {
          labels[j] = next;
          stack.push(j);
        }
      }
    }
    next++;
  }
  return labels;
}

/** Per-pixel labels from the runs. */
function pixelLabels(mask: Uint8Array, width: number, height: number, threshold: number, foreground: boolean): Int32Array {
  const runs = labelRuns(mask, width, height, threshold, foreground);
  const labels = new Int32Array(mask.length).fill(-1);
  for (let r = 0; r < runs.count; r++) labels.fill(runs.label[r], runs.row[r] * width + runs.start[r], runs.row[r] * width + runs.end[r]);
  return labels;
}

/** Same partition: the two labellings map one-to-one onto each other. */
function samePartition(a: Int32Array, b: Int32Array): boolean {
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if (a[i] < 0 !== b[i] < 0) return false;
    if (a[i] < 0) continue;
    if ((ab.get(a[i]) ?? b[i]) !== b[i] || (ba.get(b[i]) ?? a[i]) !== a[i]) return false;
    ab.set(a[i], b[i]);
    ba.set(b[i], a[i]);
  }
  return true;
}

/** Deterministic pseudo-random bytes (mulberry32). */
function randomMask(width: number, height: number, seed: number, density: number): Uint8Array {
  let t = seed;
  const random = () => {
    t = (t + 0x6d2b79f5) | 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  return Uint8Array.from({ length: width * height }, () =>
    random() < density ? 200 + Math.floor(random() * 56) : Math.floor(random() * 128),
  );
}

describe("labelRuns", () => {
  it("finds the same components as a pixel flood fill, for either class, on random masks", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const width = 5 + (seed % 23);
      const height = 3 + ((seed * 7) % 19);
      const mask = randomMask(width, height, seed, 0.3 + (seed % 5) * 0.1);
      for (const foreground of [true, false]) {
        const expected = floodLabels(mask, width, height, 128, foreground);
        const got = pixelLabels(mask, width, height, 128, foreground);
        expect(samePartition(expected, got), `seed ${seed}, ${foreground ? "foreground" : "background"}`).toBe(true);
      }
    }
  });

  it("joins runs that share a column and not runs that touch only diagonally", () => {
    const rows = ["##..#", "..##.", "#...."];
    const mask = Uint8Array.from(rows.join(""), (c) => (c === "#" ? 255 : 0));
    const runs = labelRuns(mask, 5, 3, 128, true);
    expect(runs.count).toBe(4);
    expect(runs.components).toBe(4);
  });

  it("rejects a mask of the wrong size", () => {
    expect(() => labelRuns(new Uint8Array(5), 2, 2, 128, true)).toThrow(/5 bytes, expected 2×2/);
  });
});
