/** HTTP `Range: bytes=…` as S3 reads it. */

/** [start, end] inclusive, "invalid" for an unsatisfiable range, undefined to ignore a malformed header (as S3 does). */
export function parseRange(header: string, size: number): [number, number] | "invalid" | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return "invalid";
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return undefined;
  if (start >= size) return "invalid";
  return [start, end];
}
