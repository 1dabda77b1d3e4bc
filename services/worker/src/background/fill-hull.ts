/**
 * Fills a mask's ragged components out to their convex hull — a prior for low contrast.
 *
 * Why: when a cover nearly matches the surface (cream on cream paper), ISNet keeps the parts it can
 * see (spine, a band of print) and drops the rest, leaving one large, hollowed component. A book
 * seen from above is convex, so such a component is filled to its hull. Only components that are
 * large (≥ `minArea` of the frame) and far from convex (area / hull area < `maxSolidity`) are
 * touched: a well-found book (solidity ≈ 1) and separate books (separate components) are not.
 */

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
 * with 255; returns the number of pixels filled.
 * @example
 * fillHull(mask, 1024, 1024, { maxSolidity: 0.8 });
 */
export function fillHull(mask: Uint8Array, width: number, height: number, options: HullFillOptions = {}): number {
  const { threshold = 128, maxSolidity = 0.8, minArea = 0.02 } = options;
  const n = width * height;
  if (mask.length !== n) throw new RangeError(`mask has ${mask.length} bytes, expected ${width}×${height}`);
  const label = new Int32Array(n);
  const queue = new Int32Array(n);
  // Each row's leftmost and rightmost pixel of the component being flooded (the hull's candidates).
  const rowMin = new Int32Array(height);
  const rowMax = new Int32Array(height);
  let filled = 0;
  let next = 0;
  for (let start = 0; start < n; start++) {
    if (label[start] || mask[start] < threshold) continue;
    next++;
    rowMin.fill(width);
    rowMax.fill(-1);
    let head = 0;
    let tail = 0;
    label[start] = next;
    queue[tail++] = start;
    while (head < tail) {
      const i = queue[head++];
      const x = i % width;
      const y = (i - x) / width;
      if (x < rowMin[y]) rowMin[y] = x;
      if (x > rowMax[y]) rowMax[y] = x;
      // Neighbours inline (a closure per pixel costs more than the flood itself).
      for (let k = 0; k < 4; k++) {
        const j =
          k === 0
            ? x > 0
              ? i - 1
              : -1
            : k === 1
              ? x < width - 1
                ? i + 1
                : -1
              : k === 2
                ? y > 0
                  ? i - width
                  : -1
                : y < height - 1
                  ? i + width
                  : -1;
        if (j >= 0 && !label[j] && mask[j] >= threshold) {
          label[j] = next;
          queue[tail++] = j;
        }
      }
    }
    const area = tail;
    if (area < minArea * n) continue;
    const points: Point[] = [];
    for (let y = 0; y < height; y++) if (rowMax[y] >= 0) points.push([rowMin[y], y], [rowMax[y], y]);
    const hull = convexHull(points);
    if (hull.length < 3) continue;
    const top = Math.min(...hull.map((p) => p[1]));
    const bottom = Math.max(...hull.map((p) => p[1]));
    const { min, max } = scanHull(hull, top, bottom);
    let hullArea = 0;
    for (let r = 0; r < min.length; r++) if (max[r] >= min[r]) hullArea += Math.floor(max[r]) - Math.ceil(min[r]) + 1;
    if (area / hullArea >= maxSolidity) continue;
    for (let r = 0; r < min.length; r++) {
      const row = (top + r) * width;
      for (let x = Math.ceil(min[r]); x <= Math.floor(max[r]); x++) {
        if (mask[row + x] < threshold) filled++;
        if (mask[row + x] < 255) mask[row + x] = 255;
      }
    }
  }
  return filled;
}
