/**
 * Fills the holes of a mask: background regions that no path of background pixels connects to the
 * photo's edge become foreground.
 *
 * Why: a book has no holes, but ISNet cuts them where a cover's print matches the surface — cream
 * title lines on a cover lying on cream paper come out transparent (IoU 0.945 instead of 0.99 on
 * the bench's plain-light photo). Anything the surface reaches from the edge stays background, so
 * the gaps between several books are untouched.
 */
import { labelRuns } from "./label-runs.ts";

/**
 * Fills, in place, every pixel of `mask` (one byte per pixel, row-major) below `threshold` that is
 * not 4-connected to the border through such pixels, with 255. Returns the number filled.
 * @example
 * fillHoles(mask, 1024, 1024); // mask from the model, 0–255
 */
export function fillHoles(mask: Uint8Array, width: number, height: number, threshold = 128): number {
  const runs = labelRuns(mask, width, height, threshold, false);
  const { count, row, start, end, label } = runs;
  const open = new Uint8Array(runs.components);
  for (let r = 0; r < count; r++) {
    if (row[r] === 0 || row[r] === height - 1 || start[r] === 0 || end[r] === width) open[label[r]] = 1;
  }
  let filled = 0;
  for (let r = 0; r < count; r++) {
    if (open[label[r]]) continue;
    const offset = row[r] * width;
    mask.fill(255, offset + start[r], offset + end[r]);
    filled += end[r] - start[r];
  }
  return filled;
}
