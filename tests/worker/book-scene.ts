/**
 * Generated "book on a surface" photos whose true mask is known exactly, for tests and the
 * benchmark: a textured cover with a darker spine and text-like stripes, on one of several
 * backgrounds (wood grain, white table, cloth, dark shelf).
 */
import sharp from "sharp";

export type Background = "wood" | "white" | "cloth" | "dark";

export interface SceneOptions {
  width: number;
  height: number;
  background?: Background;
  /** Book rectangle as fractions of the photo (default: centred, 45% × 70%). */
  book?: { left: number; top: number; width: number; height: number };
  /** Deterministic variety. */
  seed?: number;
}

export interface Scene {
  /** Packed RGB of the upright photo. */
  rgb: Buffer;
  width: number;
  height: number;
  /** 1 where the book is, 0 elsewhere (width × height). */
  mask: Uint8Array;
  box: { left: number; top: number; width: number; height: number };
}

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0xffffffff;
  };
}

const palettes: Record<Background, { base: [number, number, number]; sigma: number; blur: number; grain: boolean }> = {
  wood: { base: [150, 105, 60], sigma: 25, blur: 2, grain: true },
  white: { base: [232, 230, 226], sigma: 6, blur: 1, grain: false },
  cloth: { base: [70, 95, 140], sigma: 30, blur: 1.2, grain: false },
  dark: { base: [38, 36, 40], sigma: 12, blur: 2, grain: true },
};
const covers: [number, number, number][] = [
  [128, 28, 32],
  [24, 60, 110],
  [30, 90, 50],
  [190, 150, 60],
];

/** Draws the scene; `rgb` and `mask` are exact, nothing is antialiased. */
export async function bookScene(options: SceneOptions): Promise<Scene> {
  const { width, height, background = "wood", seed = 1 } = options;
  const rand = rng(seed);
  const p = palettes[background];
  const bg = await sharp({
    create: { width, height, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: "gaussian", mean: 128, sigma: p.sigma } },
  })
    .blur(p.blur)
    .raw()
    .toBuffer();
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const grain = p.grain ? 18 * Math.sin(y / (height / 40) + Math.sin(y / 37) * 2) : 0;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) rgb[i + c] = Math.max(0, Math.min(255, p.base[c] + bg[i + c] - 128 + grain));
    }
  }
  const f = options.book ?? { left: 0.28, top: 0.15, width: 0.45, height: 0.7 };
  const box = {
    left: Math.round(f.left * width),
    top: Math.round(f.top * height),
    width: Math.round(f.width * width),
    height: Math.round(f.height * height),
  };
  const cover = covers[Math.floor(rand() * covers.length)];
  const spine = Math.max(2, Math.round(box.width * 0.12));
  const lineGap = Math.max(6, Math.round(box.height / 18));
  const mask = new Uint8Array(width * height);
  for (let y = box.top; y < box.top + box.height; y++) {
    const ry = y - box.top;
    // "Text": short dark stripes in the upper third and a title band, like a printed cover.
    const textRow = ry > box.height * 0.12 && ry < box.height * 0.42 && ry % lineGap < Math.max(2, lineGap / 3);
    for (let x = box.left; x < box.left + box.width; x++) {
      const rx = x - box.left;
      const i = (y * width + x) * 3;
      mask[y * width + x] = 1;
      const n = (bg[i] - 128) * 0.35;
      let shade = rx < spine ? 0.55 : 1;
      if (rx >= spine && rx < spine + 3) shade = 0.35; // hinge
      const inText = textRow && rx > spine + box.width * 0.1 && rx < box.width * 0.9;
      for (let c = 0; c < 3; c++) {
        const v = inText ? 235 - c * 10 : cover[c] * shade + n;
        rgb[i + c] = Math.max(0, Math.min(255, v));
      }
    }
  }
  return { rgb, width, height, mask, box };
}

/** Encodes a scene (JPEG quality 92 or lossless PNG). */
export function encodeScene(scene: Scene, format: "jpeg" | "png" = "jpeg"): Promise<Buffer> {
  const img = sharp(scene.rgb, { raw: { width: scene.width, height: scene.height, channels: 3 } });
  return format === "png" ? img.png().toBuffer() : img.jpeg({ quality: 92 }).toBuffer();
}

/**
 * The same photo as a phone stores it: pixels rotated 90° counter-clockwise with EXIF
 * orientation 6, so a viewer that honours EXIF shows `scene` upright.
 */
export async function encodeWithOrientation6(scene: Scene): Promise<Buffer> {
  const stored = await sharp(scene.rgb, { raw: { width: scene.width, height: scene.height, channels: 3 } })
    .rotate(270)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return sharp(stored.data, { raw: { width: stored.info.width, height: stored.info.height, channels: 3 } })
    .jpeg({ quality: 92 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** Alpha channel (0–255) of an RGBA PNG. */
export async function alphaOf(png: Uint8Array): Promise<{ alpha: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(png).extractChannel(3).raw().toBuffer({ resolveWithObject: true });
  return { alpha: data, width: info.width, height: info.height };
}

/** Intersection over union of `alpha > 127` and a 0/1 mask (or another alpha). */
export function maskIoU(alpha: Uint8Array, truth: Uint8Array, truthThreshold = 0): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < alpha.length; i++) {
    const a = alpha[i] > 127;
    const t = truth[i] > truthThreshold;
    if (a && t) inter++;
    if (a || t) union++;
  }
  return union === 0 ? 1 : inter / union;
}
