/**
 * Mask repair that can only help: fills the model's mask where the evidence says it is hollow,
 * and nowhere else.
 *
 * Why: ISNet leaves a book hollow where its cover nearly matches the surface (cream title lines
 * on cream paper, a cream cover found only at its spine and print), so the engine fills holes and
 * ragged components' convex hulls. Done blindly, that fills a textured surface too: the model's
 * partial mask of a cloth's weave or a paper's print is a ragged component, and its hull covers
 * the surface (IoU 0.414 against the package's 0.771 on a blue book on a woven tablecloth). Here:
 * - a hole is filled when the component around it is a solid shape once filled (a book, whose
 *   print the model cut out), or when its colours appear nowhere in the confident background;
 * - a ragged component's hull is filled only at pixels whose colour the confident background
 *   does not have (`colour-evidence.ts`): the gaps of a texture are the surface's colour, the
 *   missing part of a cover is not.
 * - where the model half saw a book (`halfSeen`), the mask grows from its core through such
 *   colours (`grow-by-colour.ts`).
 * The confident background is what the model gives ≤ `backgroundLevel` in the frame's outer band,
 * away from the bounding boxes of its components, so a cover the model half saw does not count as
 * surface. With too little of it to judge by, nothing is filled on colour.
 */
import { colourEvidence } from "./colour-evidence.ts";
import { componentHulls } from "./fill-hull.ts";
import { growByColour, halfSeen } from "./grow-by-colour.ts";
import { type LabelledRuns, labelRuns } from "./label-runs.ts";

export interface MaskRepairOptions {
  /** Foreground is ≥ this (0–255). Default 128. */
  threshold?: number;
  /** Fill a hole of a component at least this solid (area with holes ÷ hull area). Default 0.9. */
  solidHoles?: number;
  /** Fill the hull of components below this solidity, at unexplained pixels. Default 0.8. */
  maxSolidity?: number;
  /** Only components covering at least this fraction of the mask get a hull fill. Default 0.02. */
  minArea?: number;
  /** The model's value at or below which a pixel outside every hull is surely background. Default 8. */
  backgroundLevel?: number;
  /** Fill a hole when at least this share of its pixels has a colour the background lacks. Default 0.5. */
  unexplainedHoles?: number;
  /** Fill holes (with the evidence above). Default true. */
  holes?: boolean;
  /** Fill ragged components' hulls at unexplained pixels. Default true. */
  hull?: boolean;
  /**
   * Where the model half-saw something (`halfSeen`), grow the mask from its core through colours
   * the background lacks (`grow-by-colour.ts`). Default true.
   */
  grow?: boolean;
}

export interface MaskRepair {
  holes: number;
  hull: number;
  grown: number;
}

/** Index of the foreground run in `fg` on `row` that ends exactly at `x` (the left wall of a hole). */
function runEndingAt(fg: LabelledRuns, rowFirst: Int32Array, row: number, x: number): number {
  let lo = rowFirst[row];
  let hi = rowFirst[row + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (fg.end[mid] < x) lo = mid + 1;
    else if (fg.end[mid] > x) hi = mid - 1;
    else return mid;
  }
  return -1;
}

/**
 * Repairs `mask` (the model's 0–255 output at the model's grid) in place, using `rgb` (packed RGB
 * of the same grid, as fed to the model). Returns how many pixels each step filled.
 * @example
 * repairMask(mask, rgb1024, 1024, 1024);
 */
export function repairMask(mask: Uint8Array, rgb: Uint8Array, width: number, height: number, options: MaskRepairOptions = {}): MaskRepair {
  const {
    threshold = 128,
    solidHoles = 0.9,
    maxSolidity = 0.8,
    minArea = 0.02,
    backgroundLevel = 8,
    unexplainedHoles = 0.5,
    holes: fillHoles = true,
    hull: fillHulls = true,
    grow = true,
  } = options;
  const n = width * height;
  let fg = labelRuns(mask, width, height, threshold, true);
  // The colour evidence costs a blur and a histogram of the photo: made only when a step needs it.
  let evidence: Uint8Array | undefined;
  const unexplainedAt = () => {
    if (evidence) return evidence;
    // Near a component: in the bounding box, plus a margin, of anything of 0.1 % of the frame or
    // more — a half-seen cover lies there, so its pixels never stand for the surface.
    const near = new Uint8Array(n);
    const margin = Math.round(0.02 * Math.max(width, height));
    const box = new Map<number, [number, number, number, number]>();
    const area = new Float64Array(fg.components);
    for (let r = 0; r < fg.count; r++) area[fg.label[r]] += fg.end[r] - fg.start[r];
    for (let r = 0; r < fg.count; r++) {
      const c = fg.label[r];
      if (area[c] < 0.001 * n) continue;
      const b = box.get(c) ?? [fg.start[r], fg.row[r], fg.end[r], fg.row[r]];
      box.set(c, [Math.min(b[0], fg.start[r]), b[1], Math.max(b[2], fg.end[r]), fg.row[r]]);
    }
    for (const [x0, y0, x1, y1] of box.values()) {
      const left = Math.max(0, x0 - margin);
      const right = Math.min(width, x1 + margin);
      for (let y = Math.max(0, y0 - margin); y <= Math.min(height - 1, y1 + margin); y++) near.fill(1, y * width + left, y * width + right);
    }
    // And only the frame's outer band: a cover the model missed entirely lies inside it.
    const band = Math.round(0.15 * Math.min(width, height));
    const reference = new Uint8Array(n);
    for (let y = 0; y < height; y++) {
      const edgeRow = y < band || y >= height - band;
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        reference[i] = near[i] || !(edgeRow || x < band || x >= width - band) ? 255 : mask[i];
      }
    }
    const found = colourEvidence(reference, rgb, width, height, { backgroundLevel });
    // Too little surface seen to judge colours by: nothing counts as unexplained (no fill).
    evidence = found.backgroundPixels < 0.01 * n ? new Uint8Array(n) : found.unexplained;
    return evidence;
  };

  const fillHolesWithEvidence = () => {
    fg = labelRuns(mask, width, height, threshold, true);
    const bg = labelRuns(mask, width, height, threshold, false);
    const rowFirst = new Int32Array(height + 1).fill(fg.count);
    for (let r = fg.count - 1; r >= 0; r--) rowFirst[fg.row[r]] = r;
    for (let y = height - 1; y >= 0; y--) if (rowFirst[y] > rowFirst[y + 1]) rowFirst[y] = rowFirst[y + 1];
    const open = new Uint8Array(bg.components);
    const around = new Int32Array(bg.components).fill(-1);
    const area = new Float64Array(bg.components);
    const unexplainedArea = new Float64Array(bg.components);
    for (let r = 0; r < bg.count; r++) {
      const h = bg.label[r];
      const y = bg.row[r];
      if (y === 0 || y === height - 1 || bg.start[r] === 0 || bg.end[r] === width) open[h] = 1;
      area[h] += bg.end[r] - bg.start[r];
      if (around[h] < 0 && bg.start[r] > 0) {
        const wall = runEndingAt(fg, rowFirst, y, bg.start[r]);
        if (wall >= 0) around[h] = fg.label[wall];
      }
    }
    // Each component's area with its holes, against its hull.
    const withHoles = new Float64Array(fg.components);
    for (let r = 0; r < fg.count; r++) withHoles[fg.label[r]] += fg.end[r] - fg.start[r];
    for (let h = 0; h < bg.components; h++) if (!open[h] && around[h] >= 0) withHoles[around[h]] += area[h];
    const solid = new Uint8Array(fg.components);
    for (const hull of componentHulls(fg)) solid[hull.component] = withHoles[hull.component] / hull.hullArea >= solidHoles ? 1 : 0;
    const inSolid = (h: number) => around[h] >= 0 && solid[around[h]] === 1;
    // Colours are looked at only for the holes of ragged components.
    if (bg.count && [...open.keys()].some((h) => !open[h] && !inSolid(h))) {
      const unexplained = unexplainedAt();
      for (let r = 0; r < bg.count; r++) {
        const h = bg.label[r];
        if (open[h] || inSolid(h)) continue;
        for (let i = bg.row[r] * width + bg.start[r]; i < bg.row[r] * width + bg.end[r]; i++) unexplainedArea[h] += unexplained[i];
      }
    }
    let filled = 0;
    for (let r = 0; r < bg.count; r++) {
      const h = bg.label[r];
      if (open[h]) continue;
      if (!inSolid(h) && unexplainedArea[h] < unexplainedHoles * area[h]) continue;
      const offset = bg.row[r] * width;
      mask.fill(255, offset + bg.start[r], offset + bg.end[r]);
      filled += bg.end[r] - bg.start[r];
    }
    return filled;
  };

  let holes = fillHoles ? fillHolesWithEvidence() : 0;
  fg = labelRuns(mask, width, height, threshold, true);
  let hull = 0;
  for (const { area, hullArea, top, min, max } of fillHulls ? componentHulls(fg, minArea * n) : []) {
    if (area / hullArea >= maxSolidity) continue;
    const unexplained = unexplainedAt();
    for (let r = 0; r < min.length; r++) {
      const offset = (top + r) * width;
      for (let x = Math.ceil(min[r]); x <= Math.floor(max[r]); x++) {
        if (!unexplained[offset + x] || mask[offset + x] >= threshold) continue;
        mask[offset + x] = 255;
        hull++;
      }
    }
  }
  let grown = 0;
  if (grow && halfSeen(mask, width, height, { threshold })) grown = growByColour(mask, unexplainedAt(), width, height, { threshold });
  if (fillHoles && (hull || grown)) holes += fillHolesWithEvidence();
  return { holes, hull, grown };
}
