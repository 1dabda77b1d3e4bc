/** Image type from the first bytes, whatever the Content-Type header claims. */
import type { ImageMime } from "@bluemoxon/core";

/**
 * @example sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xe0])) // "image/jpeg"
 */
export function sniffImageType(head: Uint8Array): ImageMime | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, 16));
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (b.length >= 6 && (b.toString("latin1", 0, 6) === "GIF87a" || b.toString("latin1", 0, 6) === "GIF89a")) return "image/gif";
  if (b.length >= 12 && b.toString("latin1", 0, 4) === "RIFF" && b.toString("latin1", 8, 12) === "WEBP") return "image/webp";
  return undefined;
}
