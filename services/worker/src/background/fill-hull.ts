/**
 * Fills a mask's ragged components out to their convex hull — a prior for low contrast.
 *
 * Why: when a cover nearly matches the surface (cream on cream paper), ISNet keeps the parts it can
 * see (spine, a band of print) and drops the rest, leaving one large, hollowed component. A book
 * seen from above is convex, so such a component is filled to its hull. Only components that are
 * large (≥ `minArea` of the frame) and far from convex (area / hull area < `maxSolidity`) are
 * touched: a well-found book (solidity ≈ 1) and separate books (separate components) are not.
 */
import { labelRuns } from "./label-runs.ts";

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

/**
 * Fills, in place, each qualifying component of `mask` (one byte per pixel) to its convex hull
 * with 255; returns the number of pixels filled. Components are those of the mask as given (a
 * hull filled first does not join a component found later).
 * @example
 * fillHull(mask, 1024, 1024, { maxSolidity: 0.8 });
 */
export function fillHull(mask: Uint8Array, width: number, height: number, options: HullFillOptions = {}): number {
  const { threshold = 128, maxSolidity = 0.8, minArea = 0.02 } = options;
  const n = width * height;
  const runs = labelRuns(mask, width, height, threshold, true);
  const { count, row, start, end, label } = runs;
  const area = new Float64Array(runs.components);
  for (let r = 0; r < count; r++) area[label[r]] += end[r] - start[r];
  let filled = 0;
  for (let component = 0; component < runs.components; component++) {
    if (area[component] < minArea * n) continue;
    // Each row's leftmost and rightmost pixel of the component: the hull's candidates.
    const points: Point[] = [];
    let y = -1;
    let left = 0;
    let right = 0;
    for (let r = 0; r < count; r++) {
      if (label[r] !== component) continue;
      if (row[r] !== y) {
        if (y >= 0) points.push([left, y], [right, y]);
        y = row[r];
        left = start[r];
      }
      right = end[r] - 1;
    }
    points.push([left, y], [right, y]);
    const hull = convexHull(points);
    if (hull.length < 3) continue;
    const top = Math.min(...hull.map((p) => p[1]));
    const bottom = Math.max(...hull.map((p) => p[1]));
    const { min, max } = scanHull(hull, top, bottom);
    let hullArea = 0;
    for (let r = 0; r < min.length; r++) if (max[r] >= min[r]) hullArea += Math.floor(max[r]) - Math.ceil(min[r]) + 1;
    if (area[component] / hullArea >= maxSolidity) continue;
    for (let r = 0; r < min.length; r++) {
      const offset = (top + r) * width;
      for (let x = Math.ceil(min[r]); x <= Math.floor(max[r]); x++) {
        if (mask[offset + x] < threshold) filled++;
        if (mask[offset + x] < 255) mask[offset + x] = 255;
      }
    }
  }
  return filled;
}
