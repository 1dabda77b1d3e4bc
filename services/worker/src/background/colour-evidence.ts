/**
 * What the photo's colours say about the mask: a histogram of the colours of the pixels the model
 * is sure are background, against which any other pixel's colour is "explained" (the surface has
 * that colour somewhere) or not (nothing the model calls background looks like it).
 *
 * Why: where ISNet's mask is hollow — a cream cover on cream paper, found only at its spine and
 * print — the missing cover has a colour the paper has nowhere; where the mask catches a
 * textured surface (the print of patterned paper, a cloth's weave), the pixels between the marks
 * have exactly the surface's colours. That tells a hollow book from a texture.
 */

/** Bits kept per channel: 32 levels, 8 values wide (JPEG noise spans about one). */
const bits = 5;
const levels = 1 << bits;
const shift = 8 - bits;

export interface ColourEvidence {
  /** Per pixel of the model's grid: 1 where the background has (almost) nowhere this colour. */
  unexplained: Uint8Array;
  /** Pixels the background histogram was built from. */
  backgroundPixels: number;
}

/** Box blur of packed RGB, radius `r`, edge-clamped, separable (two passes). */
export function boxBlurRgb(rgb: Uint8Array, width: number, height: number, r: number): Uint8Array {
  const tmp = new Uint16Array(rgb.length);
  const out = new Uint8Array(rgb.length);
  const n = 2 * r + 1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let k = -r; k <= r; k++) sum += rgb[(row + Math.min(width - 1, Math.max(0, k))) * 3 + c];
      for (let x = 0; x < width; x++) {
        tmp[(row + x) * 3 + c] = sum;
        sum += rgb[(row + Math.min(width - 1, x + r + 1)) * 3 + c] - rgb[(row + Math.max(0, x - r)) * 3 + c];
      }
    }
  }
  for (let x = 0; x < width; x++) {
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let k = -r; k <= r; k++) sum += tmp[(Math.min(height - 1, Math.max(0, k)) * width + x) * 3 + c];
      for (let y = 0; y < height; y++) {
        out[(y * width + x) * 3 + c] = Math.round(sum / (n * n));
        sum += tmp[(Math.min(height - 1, y + r + 1) * width + x) * 3 + c] - tmp[(Math.max(0, y - r) * width + x) * 3 + c];
      }
    }
  }
  return out;
}

/**
 * Marks the pixels whose colour (after a small blur, which evens out a texture's weave and JPEG
 * noise) falls in no bin — nor a neighbouring bin — of the colours of the pixels the model is sure
 * are background (`mask[i] <= backgroundLevel`). A bin counts as present once it holds
 * `minShare` of the background's pixels.
 * @example
 * const { unexplained } = colourEvidence(mask, rgb1024, 1024, 1024);
 */
export function colourEvidence(
  mask: Uint8Array,
  rgb: Uint8Array,
  width: number,
  height: number,
  { backgroundLevel = 8, minShare = 2e-5, blur = 2 } = {},
): ColourEvidence {
  const n = width * height;
  const smooth = blur > 0 ? boxBlurRgb(rgb, width, height, blur) : rgb;
  const bin = (i: number) =>
    ((smooth[i * 3] >> shift) << (2 * bits)) | ((smooth[i * 3 + 1] >> shift) << bits) | (smooth[i * 3 + 2] >> shift);
  const histogram = new Uint32Array(levels ** 3);
  let backgroundPixels = 0;
  for (let i = 0; i < n; i++) {
    if (mask[i] <= backgroundLevel) {
      histogram[bin(i)]++;
      backgroundPixels++;
    }
  }
  // A colour is explained when its bin or one of the 26 around it is present.
  const min = Math.max(2, minShare * backgroundPixels);
  const present = new Uint8Array(levels ** 3);
  for (let b = 0; b < histogram.length; b++) {
    if (histogram[b] < min) continue;
    const r = b >> (2 * bits);
    const g = (b >> bits) & (levels - 1);
    const bl = b & (levels - 1);
    for (let dr = -1; dr <= 1; dr++) {
      const rr = r + dr;
      if (rr < 0 || rr >= levels) continue;
      for (let dg = -1; dg <= 1; dg++) {
        const gg = g + dg;
        if (gg < 0 || gg >= levels) continue;
        for (let db = -1; db <= 1; db++) {
          const bb = bl + db;
          if (bb >= 0 && bb < levels) present[(rr << (2 * bits)) | (gg << bits) | bb] = 1;
        }
      }
    }
  }
  const unexplained = new Uint8Array(n);
  for (let i = 0; i < n; i++) unexplained[i] = present[bin(i)] ? 0 : 1;
  return { unexplained, backgroundPixels };
}
