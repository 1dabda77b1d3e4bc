/**
 * Fills the holes of a mask: background regions that no path of background pixels connects to the
 * photo's edge become foreground.
 *
 * Why: a book has no holes, but ISNet cuts them where a cover's print matches the surface — cream
 * title lines on a cover lying on cream paper come out transparent (IoU 0.945 instead of 0.99 on
 * the bench's plain-light photo). Anything the surface reaches from the edge stays background, so
 * the gaps between several books are untouched.
 */

/**
 * Fills, in place, every pixel of `mask` (one byte per pixel, row-major) below `threshold` that is
 * not 4-connected to the border through such pixels, with 255. Returns the number filled.
 * @example
 * fillHoles(mask, 1024, 1024); // mask from the model, 0–255
 */
export function fillHoles(mask: Uint8Array, width: number, height: number, threshold = 128): number {
  const n = width * height;
  if (mask.length !== n) throw new RangeError(`mask has ${mask.length} bytes, expected ${width}×${height}`);
  const reached = new Uint8Array(n);
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  const seed = (i: number) => {
    if (!reached[i] && mask[i] < threshold) {
      reached[i] = 1;
      queue[tail++] = i;
    }
  };
  for (let x = 0; x < width; x++) {
    seed(x);
    seed((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    seed(y * width);
    seed(y * width + width - 1);
  }
  while (head < tail) {
    const i = queue[head++];
    const x = i % width;
    if (x > 0) seed(i - 1);
    if (x < width - 1) seed(i + 1);
    if (i >= width) seed(i - width);
    if (i < n - width) seed(i + width);
  }
  let filled = 0;
  for (let i = 0; i < n; i++) {
    if (!reached[i] && mask[i] < threshold) {
      mask[i] = 255;
      filled++;
    }
  }
  return filled;
}
