/**
 * Order statistics for the benchmarks' tables.
 *
 * @example
 * median([3, 1, 2]); // 2
 * quantile([1, 2, 3, 4], 0.9); // 3.7
 */

/** The q-quantile (0 ≤ q ≤ 1) with linear interpolation between neighbours; NaN for no values. */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

/** The middle value; the mean of the two middle ones for an even count. */
export const median = (xs: number[]) => quantile(xs, 0.5);
