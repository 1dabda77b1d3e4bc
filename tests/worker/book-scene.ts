/**
 * Generated "book on a surface" photos whose true mask is known exactly, for tests and the
 * benchmark. A book is a cover (plain, glossy with a specular band, or busy with dense text and
 * pictures) with a darker spine and a hinge; the surface is one of several backgrounds, from
 * textured (wood, cloth) to the hard ones for a salient-object model: plain light or dark paper,
 * a light gradient with a vignette, a cast shadow, or a cloth of nearly the cover's colour.
 * Several books may share a photo. Nothing is antialiased, so the mask is exact.
 */
import sharp from "sharp";

export type Background = "wood" | "white" | "cloth" | "dark" | "light" | "black" | "gradient" | "woven" | "knit" | "planks" | "patterned";
export type CoverStyle = "plain" | "glossy" | "busy";
type Rgb = [number, number, number];

export interface BookSpec {
  /** Rectangle as fractions of the photo. */
  left: number;
  top: number;
  width: number;
  height: number;
  /** Cover colour (default: one of four, picked by the seed). */
  colour?: Rgb;
  style?: CoverStyle;
}

export interface SceneOptions {
  width: number;
  height: number;
  background?: Background;
  /** Book rectangle as fractions of the photo (default: centred, 45% × 70%). */
  book?: { left: number; top: number; width: number; height: number };
  /** Several books instead of `book` (later ones drawn on top). */
  books?: BookSpec[];
  /** Cover style of the default book. */
  style?: CoverStyle;
  /** Cover colour of the default book. */
  colour?: Rgb;
  /** Background colour instead of the palette's (e.g. a cloth of the cover's colour). */
  backgroundColour?: Rgb;
  /** Ink of a `patterned` paper's motif (default a muted red). */
  inkColour?: Rgb;
  /** A soft shadow cast by each book towards the lower right, on the background only. */
  shadow?: boolean;
  /** Deterministic variety. */
  seed?: number;
}

export interface Scene {
  /** Packed RGB of the upright photo. */
  rgb: Buffer;
  width: number;
  height: number;
  /** 1 where a book is, 0 elsewhere (width × height). */
  mask: Uint8Array;
  /** The first book's rectangle in pixels. */
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

interface Palette {
  base: Rgb;
  sigma: number;
  blur: number;
  grain: boolean;
  /** Light falling off from top-left to bottom-right, plus a vignette. */
  gradient?: boolean;
  /** A repeating texture added to the noise: threads, stitches, grain lines or a printed motif. */
  texture?: "woven" | "knit" | "planks" | "patterned";
}
const palettes: Record<Background, Palette> = {
  wood: { base: [150, 105, 60], sigma: 25, blur: 2, grain: true },
  white: { base: [232, 230, 226], sigma: 6, blur: 1, grain: false },
  cloth: { base: [70, 95, 140], sigma: 30, blur: 1.2, grain: false },
  dark: { base: [38, 36, 40], sigma: 12, blur: 2, grain: true },
  light: { base: [241, 240, 236], sigma: 2, blur: 1, grain: false },
  black: { base: [16, 16, 18], sigma: 2, blur: 1, grain: false },
  gradient: { base: [236, 232, 224], sigma: 3, blur: 1, grain: false, gradient: true },
  woven: { base: [60, 84, 132], sigma: 10, blur: 0.8, grain: false, texture: "woven" },
  knit: { base: [150, 150, 156], sigma: 8, blur: 0.8, grain: false, texture: "knit" },
  planks: { base: [160, 112, 66], sigma: 8, blur: 1, grain: false, texture: "planks" },
  patterned: { base: [226, 214, 190], sigma: 4, blur: 0.8, grain: false, texture: "patterned" },
};

/**
 * The texture's brightness offset at a pixel (−40…40 or so) and, for printed paper, whether the
 * pixel is ink of the motif. Periods are in pixels of a 1600-wide photo, scaled with the width,
 * so a 2 MP and a 12 MP photo show the same cloth.
 */
function textureAt(kind: NonNullable<Palette["texture"]>, x: number, y: number, scale: number, phase: number): number {
  const u = x / scale;
  const v = y / scale;
  switch (kind) {
    case "woven": {
      // Plain weave: threads 9 px wide; in each cell either the warp (vertical) or the weft is on
      // top, shaded across its width, with dark gaps between threads and a tint per thread.
      const p = 9;
      const i = Math.floor(u / p);
      const j = Math.floor(v / p);
      const fu = (u % p) / p;
      const fv = (v % p) / p;
      const warpOnTop = (i + j) % 2 === 0;
      const across = warpOnTop ? fu : fv;
      const thread = warpOnTop ? i : j;
      const tint = 14 * Math.sin(thread * 12.9898 + phase) * Math.sin(thread * 4.1414);
      return 34 * Math.sin(Math.PI * across) - 22 + tint;
    }
    case "knit": {
      // Stockinette: columns of V-shaped stitches, 12 × 10 px, each leg a bright slanted bar.
      const fu = (u % 12) / 12;
      const fv = (v % 10) / 10;
      const d = fu < 0.5 ? Math.abs(fu - 0.5 * fv) : Math.abs(1 - fu - 0.5 * fv);
      return 40 * Math.max(0, 1 - d / 0.22) - 18;
    }
    case "planks": {
      // Grain lines that wander, sharp dark late-wood rings, and a dark seam between planks.
      const plank = Math.floor(v / 220);
      const w = v + 14 * Math.sin(u / 160 + plank * 1.7 + phase) + 5 * Math.sin(u / 41 + plank);
      const ring = Math.abs(Math.sin(w / 6.5));
      const seam = v % 220 < 3 ? -60 : 0;
      return 30 * ring ** 6 * -1 + 10 * Math.sin(u / 300 + plank * 2.3) + seam + 8;
    }
    case "patterned": {
      // Printed paper: a lattice of dots and diagonal lines, 48 px apart (ink marked by < −100).
      const p = 48;
      const cu = (u % p) - p / 2;
      const cv = (v % p) - p / 2;
      const dot = Math.hypot(cu, cv) < 8;
      const line = Math.abs(((u + v) % p) - p / 2) < 1.5;
      return dot || line ? -1000 : 0;
    }
  }
}
const covers: Rgb[] = [
  [128, 28, 32],
  [24, 60, 110],
  [30, 90, 50],
  [190, 150, 60],
];
const clamp = (v: number) => Math.max(0, Math.min(255, v));

function pixelBox(f: { left: number; top: number; width: number; height: number }, width: number, height: number) {
  const left = Math.max(0, Math.round(f.left * width));
  const top = Math.max(0, Math.round(f.top * height));
  return {
    left,
    top,
    width: Math.min(width - left, Math.round(f.width * width)),
    height: Math.min(height - top, Math.round(f.height * height)),
  };
}

/** Draws the scene; `rgb` and `mask` are exact, nothing is antialiased. */
export async function bookScene(options: SceneOptions): Promise<Scene> {
  const { width, height, background = "wood", seed = 1 } = options;
  const rand = rng(seed);
  const p = palettes[background];
  const base = options.backgroundColour ?? p.base;
  const bg = await sharp({
    create: { width, height, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: "gaussian", mean: 128, sigma: p.sigma } },
  })
    .blur(p.blur)
    .raw()
    .toBuffer();
  const rgb = Buffer.alloc(width * height * 3);
  const diag = Math.hypot(width, height);
  const scale = width / 1600;
  // Not drawn from `rand`: scenes made before textures existed keep their covers.
  const phase = (seed % 97) * 0.37;
  const ink = options.inkColour ?? [170, 70, 60];
  for (let y = 0; y < height; y++) {
    const grain = p.grain ? 18 * Math.sin(y / (height / 40) + Math.sin(y / 37) * 2) : 0;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      let light = 0;
      if (p.gradient) {
        const r = Math.hypot(x - width / 2, y - height / 2) / (diag / 2);
        light = -45 * ((x + y) / (width + height)) - 30 * r * r;
      }
      const t = p.texture ? textureAt(p.texture, x, y, scale, phase) : 0;
      for (let c = 0; c < 3; c++) {
        const colour = t < -100 ? ink[c] : base[c] + t;
        rgb[i + c] = clamp(colour + bg[i + c] - 128 + grain + light);
      }
    }
  }
  const specs: BookSpec[] = options.books ?? [
    { ...(options.book ?? { left: 0.28, top: 0.15, width: 0.45, height: 0.7 }), colour: options.colour, style: options.style },
  ];
  const boxes = specs.map((b) => pixelBox(b, width, height));
  if (options.shadow) {
    // Darkens the background (not the books: they are drawn after) below and right of each book.
    for (const box of boxes) {
      const off = Math.round(Math.min(box.width, box.height) * 0.06);
      const soft = off * 2;
      for (let y = Math.max(0, box.top + off - soft); y < Math.min(height, box.top + box.height + off + soft); y++) {
        for (let x = Math.max(0, box.left + off - soft); x < Math.min(width, box.left + box.width + off + soft); x++) {
          const dx = Math.max(box.left + off - x, x - (box.left + box.width + off), 0);
          const dy = Math.max(box.top + off - y, y - (box.top + box.height + off), 0);
          const k = 0.55 + 0.45 * Math.min(1, Math.hypot(dx, dy) / soft);
          const i = (y * width + x) * 3;
          for (let c = 0; c < 3; c++) rgb[i + c] = Math.round(rgb[i + c] * k);
        }
      }
    }
  }
  const mask = new Uint8Array(width * height);
  for (const [n, spec] of specs.entries()) {
    // The first book takes the seed's first draw, so scenes made before `books` existed are unchanged.
    const cover = spec.colour ?? covers[Math.floor(rand() * covers.length)];
    drawBook(rgb, mask, bg, width, boxes[n], cover, spec.style ?? "plain", rng(seed * 31 + n));
  }
  return { rgb, width, height, mask, box: boxes[0] };
}

function drawBook(
  rgb: Buffer,
  mask: Uint8Array,
  noise: Buffer,
  width: number,
  box: { left: number; top: number; width: number; height: number },
  cover: Rgb,
  style: CoverStyle,
  rand: () => number,
) {
  const spine = Math.max(2, Math.round(box.width * 0.12));
  const lineGap = Math.max(6, Math.round(box.height / (style === "busy" ? 40 : 18)));
  // Busy covers: a picture block and text in several colours over most of the cover.
  const picture = { x0: 0.2 + rand() * 0.2, y0: 0.5 + rand() * 0.1, x1: 0.75 + rand() * 0.15, y1: 0.85 + rand() * 0.1 };
  const inks: Rgb[] = [
    [235, 225, 215],
    [20, 20, 20],
    [200, 170, 60],
    [160, 30, 30],
  ];
  for (let y = box.top; y < box.top + box.height; y++) {
    const ry = y - box.top;
    const fy = ry / box.height;
    const textBand = style === "busy" ? fy > 0.05 && fy < 0.95 : fy > 0.12 && fy < 0.42;
    // "Text": short stripes in the upper third and a title band, like a printed cover.
    const textRow = textBand && ry % lineGap < Math.max(2, lineGap / 3);
    const ink = inks[Math.floor(ry / lineGap) % (style === "busy" ? inks.length : 1)];
    for (let x = box.left; x < box.left + box.width; x++) {
      const rx = x - box.left;
      const fx = rx / box.width;
      const i = (y * width + x) * 3;
      mask[y * width + x] = 1;
      const n = (noise[i] - 128) * 0.35;
      let shade = rx < spine ? 0.55 : 1;
      if (rx >= spine && rx < spine + 3) shade = 0.35; // hinge
      // Busy text is broken into "words"; plain text is one stripe per line.
      const inWord = style !== "busy" || (Math.floor(rx / Math.max(4, lineGap * 0.7)) * 7 + Math.floor(ry / lineGap) * 3) % 5 !== 0;
      const inText = textRow && inWord && rx > spine + box.width * 0.1 && rx < box.width * 0.9;
      const inPicture = style === "busy" && fx > picture.x0 && fx < picture.x1 && fy > picture.y0 && fy < picture.y1;
      for (let c = 0; c < 3; c++) {
        let v = cover[c] * shade + n;
        if (inPicture) v = 128 + 100 * Math.sin(fx * 31 + c * 2) * Math.cos(fy * 23 - c);
        else if (inText) v = ink[c] - (style === "busy" ? 0 : c * 10);
        if (style === "glossy") {
          // A specular band across the cover, close to white at its centre, and a faint sheen.
          const d = Math.abs(fx * 0.8 + fy - 0.9) / 0.12;
          const gloss = d < 1 ? (1 - d * d) * 0.85 : 0;
          v = v * (1 - gloss) + 250 * gloss + 18 * (1 - fy);
        }
        rgb[i + c] = clamp(v);
      }
    }
  }
}

/** Encodes a scene (JPEG quality 92 or lossless PNG). */
export function encodeScene(scene: Scene, format: "jpeg" | "png" = "jpeg"): Promise<Buffer> {
  const img = sharp(scene.rgb, { raw: { width: scene.width, height: scene.height, channels: 3 } });
  return format === "png" ? img.png().toBuffer() : img.jpeg({ quality: 92 }).toBuffer();
}

/** EXIF orientations that rotate without mirroring, and the rotation that stores an upright photo that way. */
const storedRotation = { 3: 180, 6: 270, 8: 90 } as const;
export type Orientation = keyof typeof storedRotation;

/**
 * The same photo as a camera stores it: pixels rotated so that a viewer honouring EXIF
 * orientation `orientation` (3, 6 or 8) shows `scene` upright. `stored` is the rotated pixel
 * grid, and `storedMask` the true mask in that grid (what an engine ignoring EXIF should find).
 */
export async function encodeWithOrientation(
  scene: Scene,
  orientation: Orientation,
): Promise<{ bytes: Buffer; storedMask: Uint8Array; storedWidth: number; storedHeight: number }> {
  const angle = storedRotation[orientation];
  const stored = await sharp(scene.rgb, { raw: { width: scene.width, height: scene.height, channels: 3 } })
    .rotate(angle)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const storedMask = await sharp(Buffer.from(scene.mask), { raw: { width: scene.width, height: scene.height, channels: 1 } })
    .rotate(angle)
    .extractChannel(0)
    .raw()
    .toBuffer();
  const bytes = await sharp(stored.data, { raw: { width: stored.info.width, height: stored.info.height, channels: 3 } })
    .jpeg({ quality: 92 })
    .withMetadata({ orientation })
    .toBuffer();
  return { bytes, storedMask, storedWidth: stored.info.width, storedHeight: stored.info.height };
}

/**
 * The same photo as a phone stores it: pixels rotated 90° counter-clockwise with EXIF
 * orientation 6, so a viewer that honours EXIF shows `scene` upright.
 */
export async function encodeWithOrientation6(scene: Scene): Promise<Buffer> {
  return (await encodeWithOrientation(scene, 6)).bytes;
}

/** Alpha channel (0–255) of an RGBA PNG. */
export async function alphaOf(png: Uint8Array): Promise<{ alpha: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(png).extractChannel(3).raw().toBuffer({ resolveWithObject: true });
  return { alpha: data, width: info.width, height: info.height };
}

/** sRGB (0–255) → CIE L*a*b* (D65). */
function toLab([r, g, b]: Rgb): Rgb {
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const [lr, lg, lb] = [lin(r), lin(g), lin(b)];
  const x = (0.4124 * lr + 0.3576 * lg + 0.1805 * lb) / 0.95047;
  const y = 0.2126 * lr + 0.7152 * lg + 0.0722 * lb;
  const z = (0.0193 * lr + 0.1192 * lg + 0.9505 * lb) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/**
 * How far the book stands out: CIE76 ΔE between the mean colour of the book's pixels and that of
 * the background's, as drawn (spine, print and texture included). About 2 is the smallest
 * difference a person notices between two flat patches side by side.
 */
export function sceneContrast(scene: Pick<Scene, "rgb" | "mask">): number {
  const sum = [
    [0, 0, 0],
    [0, 0, 0],
  ];
  const n = [0, 0];
  for (let i = 0; i < scene.mask.length; i++) {
    const k = scene.mask[i] ? 1 : 0;
    n[k]++;
    for (let c = 0; c < 3; c++) sum[k][c] += scene.rgb[i * 3 + c];
  }
  const [bg, book] = [0, 1].map((k) => toLab(sum[k].map((v) => v / Math.max(1, n[k])) as Rgb));
  return Math.hypot(bg[0] - book[0], bg[1] - book[1], bg[2] - book[2]);
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
