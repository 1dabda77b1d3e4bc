/**
 * The benchmark's photo set: generated book scenes whose true masks are known, chosen to be hard
 * for a salient-object model — plain light and dark surfaces, a light gradient with a vignette,
 * cast shadows, low contrast (cover ≈ background), glossy and busy covers, several books, a small
 * book, a 12 MP photo and the three rotating EXIF orientations; then the harder set: textured
 * surfaces (a woven tablecloth, a knit throw, wooden planks, printed paper) and two low-contrast
 * series (cream covers on light paper, blue covers on a blue woven cloth) at several contrasts.
 * Generated at run time (seconds), so nothing large lives in the repository.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  bookScene,
  encodeScene,
  encodeWithOrientation,
  type Orientation,
  type SceneOptions,
  sceneContrast,
} from "../tests/worker/book-scene.ts";

export interface BenchPhoto {
  name: string;
  /** What makes it hard, for the table. */
  about: string;
  scene: SceneOptions;
  format: "jpeg" | "png";
  orientation?: Orientation;
  /** In the `--quick` subset. */
  quick?: boolean;
  /** In the harder set added for textures and contrast (`--hard` runs only these). */
  hard?: boolean;
}

/**
 * A book "differs visibly" from its surface when the mean colours of the two, as drawn, are at
 * least this far apart (CIE76 ΔE; ~2 is just noticeable side by side, 10 is plain at a glance):
 * the bench expects IoU ≥ 0.95 on those.
 */
export const visibleContrast = 10;

const hard = (name: string, about: string, scene: Partial<SceneOptions>, extra: Partial<BenchPhoto> = {}): BenchPhoto => ({
  name,
  about,
  scene: { width: 1600, height: 1200, seed: 21, ...scene },
  format: "jpeg",
  hard: true,
  ...extra,
});

/** Cover colours of the two low-contrast series, from nearly the surface's colour to plainly not. */
const creams: [number, number, number][] = [
  [238, 236, 230],
  [234, 230, 220],
  [226, 220, 204],
  [200, 186, 156],
];
const blues: [number, number, number][] = [
  [60, 84, 132],
  [46, 66, 114],
  [36, 52, 100],
  [24, 36, 76],
];

const navy: [number, number, number] = [24, 40, 80];
export const benchPhotos: BenchPhoto[] = [
  {
    name: "light-plain-2mp.jpg",
    about: "plain light paper",
    scene: { width: 1600, height: 1200, background: "light", colour: [128, 28, 32] },
    format: "jpeg",
    quick: true,
  },
  {
    name: "light-shadow-3mp.jpg",
    about: "plain light, cast shadow",
    scene: { width: 2000, height: 1500, background: "light", shadow: true, colour: [24, 60, 110] },
    format: "jpeg",
  },
  {
    name: "gradient-2mp.jpg",
    about: "light gradient + vignette",
    scene: { width: 1600, height: 1200, background: "gradient", colour: [190, 150, 60] },
    format: "jpeg",
    quick: true,
  },
  {
    name: "white-2mp.jpg",
    about: "white table (noisy)",
    scene: { width: 1600, height: 1200, background: "white", seed: 101 },
    format: "jpeg",
  },
  {
    name: "black-plain-2mp.jpg",
    about: "plain black, navy cover",
    scene: { width: 1600, height: 1200, background: "black", colour: navy },
    format: "jpeg",
    quick: true,
  },
  {
    name: "low-blue-2mp.jpg",
    about: "low contrast: blue on blue cloth",
    scene: { width: 1600, height: 1200, background: "cloth", colour: [62, 86, 132], seed: 7 },
    format: "jpeg",
    quick: true,
  },
  {
    name: "low-cream-2mp.jpg",
    about: "low contrast: cream on light",
    scene: { width: 1600, height: 1200, background: "light", colour: [222, 216, 200] },
    format: "jpeg",
  },
  {
    name: "glossy-3mp.jpg",
    about: "glossy dark cover on white",
    scene: { width: 2000, height: 1500, background: "white", colour: [30, 30, 36], style: "glossy", seed: 3 },
    format: "jpeg",
    quick: true,
  },
  {
    name: "busy-3mp.png",
    about: "busy text + picture cover, PNG",
    scene: { width: 2000, height: 1500, background: "dark", style: "busy", colour: [120, 40, 30], seed: 5 },
    format: "png",
  },
  {
    name: "three-books-3mp.jpg",
    about: "three books, one glossy",
    scene: {
      width: 2000,
      height: 1500,
      background: "light",
      shadow: true,
      books: [
        { left: 0.06, top: 0.12, width: 0.26, height: 0.62, colour: [128, 28, 32] },
        { left: 0.38, top: 0.2, width: 0.24, height: 0.58, colour: [30, 90, 50], style: "busy" },
        { left: 0.68, top: 0.1, width: 0.25, height: 0.66, colour: [30, 30, 36], style: "glossy" },
      ],
    },
    format: "jpeg",
    quick: true,
  },
  {
    name: "small-book-3mp.jpg",
    about: "book 10% × 15% of the frame",
    scene: { width: 2000, height: 1500, background: "wood", book: { left: 0.55, top: 0.3, width: 0.1, height: 0.15 }, seed: 9 },
    format: "jpeg",
  },
  {
    name: "wood-0.3mp.jpg",
    about: "wood grain, small photo",
    scene: { width: 640, height: 480, background: "wood", seed: 100 },
    format: "jpeg",
  },
  {
    name: "exif6-light-2mp.jpg",
    about: "EXIF 6 (phone portrait), light",
    scene: {
      width: 1200,
      height: 1600,
      background: "light",
      colour: [24, 60, 110],
      book: { left: 0.12, top: 0.1, width: 0.55, height: 0.6 },
    },
    format: "jpeg",
    orientation: 6,
    quick: true,
  },
  {
    name: "exif3-gradient-2mp.jpg",
    about: "EXIF 3 (upside down), gradient",
    scene: {
      width: 1600,
      height: 1200,
      background: "gradient",
      colour: [30, 90, 50],
      book: { left: 0.1, top: 0.2, width: 0.4, height: 0.65 },
    },
    format: "jpeg",
    orientation: 3,
  },
  {
    name: "exif8-cloth-2mp.jpg",
    about: "EXIF 8, cloth",
    scene: { width: 1200, height: 1600, background: "cloth", seed: 11, book: { left: 0.3, top: 0.25, width: 0.55, height: 0.5 } },
    format: "jpeg",
    orientation: 8,
  },
  {
    name: "light-shadow-12mp.jpg",
    about: "12 MP, plain light, shadow",
    scene: { width: 4000, height: 3000, background: "light", shadow: true, colour: [190, 150, 60], seed: 13 },
    format: "jpeg",
  },
  hard("woven-navy-2mp.jpg", "navy book on a blue woven tablecloth", { background: "woven", colour: [36, 52, 100] }, { quick: true }),
  hard("woven-cream-2mp.jpg", "cream book on a blue woven tablecloth", { background: "woven", colour: [226, 220, 204], seed: 22 }),
  hard("knit-green-2mp.jpg", "green book on a grey knit throw", { background: "knit", colour: [30, 90, 50] }, { quick: true }),
  hard("knit-grey-2mp.jpg", "grey book on a grey knit throw", { background: "knit", colour: [128, 128, 136], seed: 23 }),
  hard("planks-cream-3mp.jpg", "cream book on wooden planks", {
    background: "planks",
    colour: [222, 210, 180],
    width: 2000,
    height: 1500,
  }),
  hard("planks-brown-2mp.jpg", "brown book on wooden planks", { background: "planks", colour: [120, 70, 40], seed: 24 }),
  hard("patterned-blue-2mp.jpg", "blue book on printed paper", { background: "patterned", colour: [24, 60, 110] }, { quick: true }),
  hard("patterned-cream-2mp.jpg", "cream book on printed paper", {
    background: "patterned",
    colour: [226, 214, 190],
    seed: 25,
    book: { left: 0.1, top: 0.2, width: 0.4, height: 0.65 },
  }),
  ...creams.map((colour, k) =>
    hard(`contrast-light-${k + 1}-2mp.jpg`, `cream ${colour.join(",")} on light paper`, { background: "light", colour, seed: 30 + k }),
  ),
  ...blues.map((colour, k) =>
    hard(`contrast-woven-${k + 1}-2mp.jpg`, `blue ${colour.join(",")} on blue woven cloth`, { background: "woven", colour, seed: 40 + k }),
  ),
];

/**
 * Writes each photo, its true mask (`.truth`, upright) and, for EXIF photos, the mask in the stored
 * pixel grid (`.stored-truth`: what an engine that ignores EXIF, like the package, should find).
 * Returns each photo's contrast, book against surface (`sceneContrast`, ΔE).
 */
export async function writeBenchPhotos(dir: string, photos: BenchPhoto[]): Promise<Map<string, number>> {
  const contrast = new Map<string, number>();
  for (const photo of photos) {
    const scene = await bookScene({ seed: 100, ...photo.scene });
    contrast.set(photo.name, sceneContrast(scene));
    writeFileSync(join(dir, `${photo.name}.truth`), scene.mask);
    if (photo.orientation) {
      const { bytes, storedMask } = await encodeWithOrientation(scene, photo.orientation);
      writeFileSync(join(dir, photo.name), bytes);
      writeFileSync(join(dir, `${photo.name}.stored-truth`), storedMask);
    } else {
      writeFileSync(join(dir, photo.name), await encodeScene(scene, photo.format));
      writeFileSync(join(dir, `${photo.name}.stored-truth`), scene.mask);
    }
  }
  return contrast;
}
