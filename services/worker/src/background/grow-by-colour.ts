/**
 * A colour-model refinement seeded by the model's confident core: the mask grows from its
 * foreground through pixels whose colour the confident background does not have.
 *
 * Why: on a low-contrast surface ISNet may keep only a cover's spine and print and leave the rest
 * of the cover at a low value (cream on cream paper): nothing is hollow there for a hole or hull
 * fill, but every missing pixel has the cover's colour, which the paper has nowhere. Thin runs of
 * such pixels (the blend of a cover and the surface along an edge, JPEG ringing) are removed
 * first (an opening), so the mask does not grow a seam around every book.
 */
import { labelRuns } from "./label-runs.ts";

/** Binary erosion (`grow` false) or dilation (true) by a (2r + 1)² square, separable. */
export function morph(bits: Uint8Array, width: number, height: number, r: number, grow: boolean): Uint8Array {
  const tmp = new Uint8Array(bits.length);
  const out = new Uint8Array(bits.length);
  const pass = (src: Uint8Array, dst: Uint8Array, len: number, lines: number, at: (line: number, k: number) => number) => {
    for (let line = 0; line < lines; line++) {
      let count = 0;
      for (let k = -r; k <= r; k++) if (k >= 0 && k < len && src[at(line, k)]) count++;
      for (let k = 0; k < len; k++) {
        // count = set pixels in [k − r, k + r] ∩ [0, len); outside the frame counts as set for erosion.
        const inFrame = Math.min(len - 1, k + r) - Math.max(0, k - r) + 1;
        const window = 2 * r + 1;
        dst[at(line, k)] = grow ? (count > 0 ? 1 : 0) : count + (window - inFrame) === window ? 1 : 0;
        if (k + r + 1 < len && src[at(line, k + r + 1)]) count++;
        if (k - r >= 0 && src[at(line, k - r)]) count--;
      }
    }
  };
  pass(bits, tmp, width, height, (y, x) => y * width + x);
  pass(tmp, out, height, width, (x, y) => y * width + x);
  return out;
}

/**
 * Whether the model "half-saw" something: at least `minShare` of the frame lies in 8 × 8 blocks
 * that are mostly (¾) at a weak value (`weak` ≤ v < `threshold`) — a cover the model gives 15–120
 * where it is sure of a book at 255 and of the surface at ≈ 0. The soft seam along a found book's
 * edge fills no block; so a photo the model is sure of costs no growth at all.
 */
export function halfSeen(mask: Uint8Array, width: number, height: number, { threshold = 128, weak = 12, minShare = 0.003 } = {}): boolean {
  const block = 8;
  const bw = Math.floor(width / block);
  const bh = Math.floor(height / block);
  const counts = new Uint16Array(bw * bh);
  for (let y = 0; y < bh * block; y++) {
    const row = y * width;
    const brow = ((y / block) | 0) * bw;
    for (let x = 0; x < bw * block; x++) {
      const v = mask[row + x];
      if (v >= weak && v < threshold) counts[brow + ((x / block) | 0)]++;
    }
  }
  let blocks = 0;
  for (const c of counts) if (c >= 0.75 * block * block) blocks++;
  return blocks >= minShare * bw * bh;
}

/**
 * Grows `mask` (0–255, in place) from its pixels ≥ `threshold` through the pixels marked in
 * `unexplained` (after an opening of radius `open`), to 255; returns the pixels added.
 * @example
 * growByColour(mask, colourEvidence(mask, rgb, 1024, 1024).unexplained, 1024, 1024);
 */
export function growByColour(
  mask: Uint8Array,
  unexplained: Uint8Array,
  width: number,
  height: number,
  { threshold = 128, open = 4 } = {},
): number {
  const candidate = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) candidate[i] = unexplained[i] && mask[i] < threshold ? 1 : 0;
  const opened = open > 0 ? morph(morph(candidate, width, height, open, false), width, height, open, true) : candidate;
  const joined = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) joined[i] = mask[i] >= threshold || opened[i] ? 255 : 0;
  const runs = labelRuns(joined, width, height, 128, true);
  const seeded = new Uint8Array(runs.components);
  for (let r = 0; r < runs.count; r++) {
    const offset = runs.row[r] * width;
    if (seeded[runs.label[r]]) continue;
    for (let i = offset + runs.start[r]; i < offset + runs.end[r]; i++) {
      if (mask[i] >= threshold) {
        seeded[runs.label[r]] = 1;
        break;
      }
    }
  }
  let added = 0;
  for (let r = 0; r < runs.count; r++) {
    if (!seeded[runs.label[r]]) continue;
    const offset = runs.row[r] * width;
    for (let i = offset + runs.start[r]; i < offset + runs.end[r]; i++) {
      if (mask[i] < threshold) added++;
      mask[i] = 255;
    }
  }
  return added;
}
