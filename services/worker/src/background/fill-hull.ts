/**
 * Fills a mask's ragged components out to their convex hull — a prior for low contrast.
 *
 * Why: when a cover nearly matches the surface (cream on cream paper), ISNet keeps the parts it can
 * see (spine, a band of print) and drops the rest, leaving one large, hollowed component. A book
 * seen from above is convex, so such a component is filled to its hull. Only components that are
 * large (≥ `minArea` of the frame) and far from convex (area / hull area < `maxSolidity`) are
 * touched: a well-found book (solidity ≈ 1) and separate books (separate components) are not.
 */
import { type LabelledRuns, labelRuns } from "./label-runs.ts";

export interface HullFillOptions {
  /** Foreground is ≥ this (0–255). Default 128. */
  threshold?: number;
  /** Fill only components whose area / hull area is below this. Default 0.8. */
  maxSolidity?: number;
  /** Fill only components covering at least this fraction of the mask. Default 0.02. */
  minArea?: number;
}

type Point = [number, number];
const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);

/** Andrew's monotone chain; points as [x, y]. */
function convexHull(points: Point[]): Point[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const lower: Point[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Point[] = [];
  for (const q of p.reverse()) {
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

/** Per-row [min, max] x of a convex polygon, for rows top..bottom. */
function scanHull(hull: Point[], top: number, bottom: number): { min: Float64Array; max: Float64Array } {
  const rows = bottom - top + 1;
  const min = new Float64Array(rows).fill(Number.POSITIVE_INFINITY);
  const max = new Float64Array(rows).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < hull.length; i++) {
    const [x0, y0] = hull[i];
    const [x1, y1] = hull[(i + 1) % hull.length];
    const ya = Math.min(y0, y1);
    const yb = Math.max(y0, y1);
    for (let y = ya; y <= yb; y++) {
      const x = y0 === y1 ? Math.min(x0, x1) : x0 + ((y - y0) * (x1 - x0)) / (y1 - y0);
      const xr = y0 === y1 ? Math.max(x0, x1) : x;
      const r = y - top;
      if (x < min[r]) min[r] = x;
      if (xr > max[r]) max[r] = xr;
    }
  }
  return { min, max };
}

/** A component's convex hull as per-row spans: rows top … top + min.length − 1, x from ⌈min⌉ to ⌊max⌋. */
export interface ComponentHull {
  component: number;
  /** Pixels of the component. */
  area: number;
  /** Pixels inside its convex hull. */
  hullArea: number;
  top: number;
  min: Float64Array;
  max: Float64Array;
}

/**
 * The convex hull of every component of `runs` (foreground runs from `labelRuns`) with at least
 * `minPixels` pixels; components whose hull is degenerate (a line) are left out.
 */
export function componentHulls(runs: LabelledRuns, minPixels = 0): ComponentHull[] {
  const { count, row, start, end, label } = runs;
  const area = new Float64Array(runs.components);
  for (let r = 0; r < count; r++) area[label[r]] += end[r] - start[r];
  // Each row's leftmost and rightmost pixel of each component: the hull's candidates.
  const points: Point[][] = Array.from({ length: runs.components }, () => []);
  const lastRow = new Int32Array(runs.components).fill(-1);
  const left = new Int32Array(runs.components);
  const right = new Int32Array(runs.components);
  for (let r = 0; r < count; r++) {
    const c = label[r];
    if (area[c] < minPixels) continue;
    if (row[r] !== lastRow[c]) {
      if (lastRow[c] >= 0) points[c].push([left[c], lastRow[c]], [right[c], lastRow[c]]);
      lastRow[c] = row[r];
      left[c] = start[r];
      right[c] = end[r] - 1;
    } else {
      left[c] = Math.min(left[c], start[r]);
      right[c] = Math.max(right[c], end[r] - 1);
    }
  }
  const hulls: ComponentHull[] = [];
  for (let c = 0; c < runs.components; c++) {
    if (area[c] < minPixels || lastRow[c] < 0) continue;
    points[c].push([left[c], lastRow[c]], [right[c], lastRow[c]]);
    const hull = convexHull(points[c]);
    if (hull.length < 3) continue;
    const top = Math.min(...hull.map((p) => p[1]));
    const bottom = Math.max(...hull.map((p) => p[1]));
    const { min, max } = scanHull(hull, top, bottom);
    let hullArea = 0;
    for (let r = 0; r < min.length; r++) if (max[r] >= min[r]) hullArea += Math.floor(max[r]) - Math.ceil(min[r]) + 1;
    hulls.push({ component: c, area: area[c], hullArea, top, min, max });
  }
  return hulls;
}

/**
 * Fills, in place, each qualifying component of `mask` (one byte per pixel) to its convex hull
 * with 255; returns the number of pixels filled. Components are those of the mask as given (a
 * hull filled first does not join a component found later). `allow`, when given, limits the fill
 * to the pixels where it is non-zero (the evidence that the mask is hollow there).
 * @example
 * fillHull(mask, 1024, 1024, { maxSolidity: 0.8 });
 */
export function fillHull(mask: Uint8Array, width: number, height: number, options: HullFillOptions = {}, allow?: Uint8Array): number {
  const { threshold = 128, maxSolidity = 0.8, minArea = 0.02 } = options;
  const runs = labelRuns(mask, width, height, threshold, true);
  let filled = 0;
  for (const { area, hullArea, top, min, max } of componentHulls(runs, minArea * width * height)) {
    if (area / hullArea >= maxSolidity) continue;
    for (let r = 0; r < min.length; r++) {
      const offset = (top + r) * width;
      for (let x = Math.ceil(min[r]); x <= Math.floor(max[r]); x++) {
        if (allow && !allow[offset + x]) continue;
        if (mask[offset + x] < threshold) filled++;
        if (mask[offset + x] < 255) mask[offset + x] = 255;
      }
    }
  }
  return filled;
}
