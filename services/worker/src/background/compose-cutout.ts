/**
 * The cut-out: the photo's untouched pixels joined to the mask as alpha, optionally trimmed to the
 * book and shrunk, encoded as a lossless RGBA PNG (libvips runs the steps as one pipeline).
 */
import sharp from "sharp";

export interface CutoutOptions {
  /** Crop to the opaque content plus this many pixels of padding (off by default). */
  trim?: { padding: number; threshold?: number } | false;
  /** Shrink so the longer edge is at most this (off by default). */
  maxOutputEdge?: number;
  /** PNG deflate level 0–9; lossless at every level, lower is faster. */
  pngCompressionLevel: number;
}

/** Bounding box of mask values above `threshold`, or undefined when nothing is opaque. */
export function opaqueBox(mask: Uint8Array, width: number, height: number, threshold: number) {
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (mask[row + x] > threshold) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        bottom = y;
      }
    }
  }
  return right < 0 ? undefined : { left, top, right, bottom };
}

/**
 * Joins `mask` (one byte per pixel, the photo's size) to the photo's RGB as alpha and encodes it.
 * @example
 * const { png } = await composeCutout(image, mask, { pngCompressionLevel: 3, trim: { padding: 10 } });
 */
export async function composeCutout(
  image: { data: Uint8Array; width: number; height: number },
  mask: Buffer,
  opts: CutoutOptions,
): Promise<{ png: Buffer; width: number; height: number }> {
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).joinChannel(mask, {
    raw: { width: image.width, height: image.height, channels: 1 },
  });
  let width = image.width;
  let height = image.height;
  if (opts.trim) {
    const box = opaqueBox(mask, image.width, image.height, opts.trim.threshold ?? 8);
    if (box) {
      const pad = Math.max(0, Math.round(opts.trim.padding));
      const left = Math.max(0, box.left - pad);
      const top = Math.max(0, box.top - pad);
      width = Math.min(image.width - 1, box.right + pad) - left + 1;
      height = Math.min(image.height - 1, box.bottom + pad) - top + 1;
      // Materialise the join first: extract() on a joined raw pipeline would crop before joining.
      const joined = await pipeline.raw().toBuffer();
      pipeline = sharp(joined, { raw: { width: image.width, height: image.height, channels: 4 } }).extract({ left, top, width, height });
    }
  }
  if (opts.maxOutputEdge && Math.max(width, height) > opts.maxOutputEdge) {
    const scale = opts.maxOutputEdge / Math.max(width, height);
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const flat = await pipeline.raw().toBuffer();
    pipeline = sharp(flat, { raw: { width, height, channels: 4 } }).resize(w, h, { fit: "fill" });
    width = w;
    height = h;
  }
  const png = await pipeline.png({ compressionLevel: opts.pngCompressionLevel, palette: false, adaptiveFiltering: false }).toBuffer();
  return { png, width, height };
}
