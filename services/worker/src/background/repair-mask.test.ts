import { describe, expect, it } from "vitest";
import { bookScene, maskIoU } from "../../../../tests/worker/book-scene.ts";
import { repairMask } from "./repair-mask.ts";

const edge = 1024;
const count = (mask: Uint8Array, where: (i: number) => boolean) => {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] >= 128 && where(i)) n++;
  return n;
};

/**
 * A navy book on a blue woven tablecloth at the model's grid, and a mask as ISNet gives for such a
 * photo: the book's spine and print found (255), the rest of its cover half seen (40), and the
 * model's partial mask of the cloth — rows of the weave beside the book, joined to it (220).
 */
async function wovenScene() {
  const scene = await bookScene({
    width: edge,
    height: edge,
    background: "woven",
    colour: [36, 52, 100],
    seed: 4,
    book: { left: 0.15, top: 0.2, width: 0.35, height: 0.55 },
  });
  const { left, top, width, height } = scene.box;
  const mask = new Uint8Array(edge * edge);
  const spine = Math.round(width * 0.12);
  for (let y = top; y < top + height; y++) {
    for (let x = left; x < left + width; x++) {
      const band = y < top + 0.42 * height;
      mask[y * edge + x] = x < left + spine || band ? 255 : 40;
    }
  }
  // The cloth's partial mask: 3-pixel rows every 20 px, 300 px out from the book's right edge.
  const cloth = { left: left + width, right: left + width + 300, top, bottom: top + height };
  for (let y = top; y < top + height; y += 20) {
    for (let dy = 0; dy < 3; dy++) mask.fill(220, (y + dy) * edge + cloth.left, (y + dy) * edge + cloth.right);
  }
  const marked = Uint8Array.from(mask, (v) => (v === 220 ? 1 : 0));
  const inCloth = (i: number) => {
    const x = i % edge;
    const y = (i / edge) | 0;
    return x >= cloth.left && x < cloth.right && y >= cloth.top && y < cloth.bottom && !marked[i];
  };
  return { scene, mask, inCloth, clothPixels: (cloth.right - cloth.left) * height - count(mask, (i) => marked[i] === 1) };
}

describe("repairMask", () => {
  it("never fills a textured cloth the model partly marked, and completes the hollow book", async () => {
    // The regression: the blind hull fill grew such a mask over the cloth (IoU 0.414 on a real
    // photo, where the package scored 0.771).
    const { scene, mask, inCloth, clothPixels } = await wovenScene();
    repairMask(mask, scene.rgb, edge, edge);
    expect(count(mask, inCloth) / clothPixels).toBeLessThan(0.02);
    const book = Uint8Array.from(mask, (v) => (v >= 128 ? 255 : 0));
    const bookOnly = book.map((v, i) => (scene.mask[i] ? v : 0));
    expect(maskIoU(bookOnly, scene.mask)).toBeGreaterThanOrEqual(0.97);
  });

  it("leaves the cloth alone even with only the hole and hull fills (no growth)", async () => {
    const { scene, mask, inCloth, clothPixels } = await wovenScene();
    repairMask(mask, scene.rgb, edge, edge, { grow: false });
    expect(count(mask, inCloth) / clothPixels).toBeLessThan(0.02);
  });

  it("fills the print the model cut out of a book on plain light paper (holes of a solid shape)", async () => {
    const scene = await bookScene({ width: edge, height: edge, background: "light", colour: [128, 28, 32], seed: 100 });
    // Cream print on cream paper: by colour the holes look like the paper; the book around them is solid.
    const mask = Uint8Array.from(scene.mask, (v) => (v ? 255 : 0));
    const { left, top, width, height } = scene.box;
    for (let y = top + Math.round(0.15 * height); y < top + 0.4 * height; y += 20) {
      for (let dy = 0; dy < 6; dy++) mask.fill(0, (y + dy) * edge + left + 80, (y + dy) * edge + left + width - 40);
    }
    const { holes } = repairMask(mask, scene.rgb, edge, edge);
    expect(holes).toBeGreaterThan(0);
    expect(maskIoU(mask, scene.mask)).toBe(1);
  });

  it("keeps the gaps between separate books (open to the surface) and adds nothing to a found book", async () => {
    const scene = await bookScene({
      width: edge,
      height: edge,
      background: "wood",
      books: [
        { left: 0.1, top: 0.1, width: 0.3, height: 0.7 },
        { left: 0.5, top: 0.15, width: 0.3, height: 0.7 },
      ],
    });
    const mask = Uint8Array.from(scene.mask, (v) => (v ? 255 : 0));
    const result = repairMask(mask, scene.rgb, edge, edge);
    expect(result).toEqual({ holes: 0, hull: 0, grown: 0 });
    expect(maskIoU(mask, scene.mask)).toBe(1);
  });
});
