/**
 * Writes the sample listings in `fixtures/`: book photos drawn with sharp (an SVG scene → JPEG)
 * so the repo ships no third-party images. Deterministic: the same seed gives the same files.
 *
 * Regenerate: `npx tsx services/ebay-fixture/src/generate-fixtures.ts [outDir]`
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { defaultFixturesDir } from "./start-ebay-fixture.ts";

interface Scene {
  width: number;
  height: number;
  background: "plain" | "linen" | "wood" | "gradient";
  bg: string;
  cover: string;
  band: string;
  /** Book size as a fraction of the frame, and its rotation in degrees. */
  scale: number;
  angle: number;
}

interface SampleListing {
  id: string;
  title: string;
  price: string;
  condition: string;
  seller: string;
  aspects: Record<string, string>;
  scenes: Scene[];
}

function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function backgroundSvg(s: Scene): string {
  switch (s.background) {
    case "linen":
      return `<filter id="t"><feTurbulence type="fractalNoise" baseFrequency="0.9" numOctaves="2" seed="3"/><feColorMatrix type="saturate" values="0"/><feComponentTransfer><feFuncA type="linear" slope="0.18"/></feComponentTransfer></filter>
        <rect width="100%" height="100%" fill="${s.bg}"/><rect width="100%" height="100%" filter="url(#t)"/>`;
    case "wood":
      return `<filter id="t"><feTurbulence type="fractalNoise" baseFrequency="0.004 0.12" numOctaves="3" seed="7"/><feColorMatrix type="saturate" values="0"/><feComponentTransfer><feFuncA type="linear" slope="0.35"/></feComponentTransfer></filter>
        <rect width="100%" height="100%" fill="${s.bg}"/><rect width="100%" height="100%" filter="url(#t)"/>`;
    case "gradient":
      return `<linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${s.bg}"/><stop offset="1" stop-color="#2b2b2b"/></linearGradient>
        <rect width="100%" height="100%" fill="url(#g)"/>`;
    default:
      return `<rect width="100%" height="100%" fill="${s.bg}"/>`;
  }
}

/** A closed book seen from the front: cover, darker spine strip with shading, title and author bands, a soft shadow. */
function bookSvg(s: Scene): string {
  const h = Math.round(s.height * s.scale);
  const w = Math.round(h * 0.68);
  const x = Math.round((s.width - w) / 2);
  const y = Math.round((s.height - h) / 2);
  const spine = Math.round(w * 0.09);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${s.width}" height="${s.height}">
    <defs>
      <linearGradient id="spine" x1="0" x2="1"><stop offset="0" stop-color="#000" stop-opacity="0.55"/><stop offset="0.6" stop-color="#000" stop-opacity="0.15"/><stop offset="1" stop-color="#fff" stop-opacity="0.12"/></linearGradient>
      <linearGradient id="sheen" x1="0" x2="1" y1="0" y2="1"><stop offset="0" stop-color="#fff" stop-opacity="0.10"/><stop offset="1" stop-color="#000" stop-opacity="0.18"/></linearGradient>
      <filter id="shadow" x="-20%" y="-20%" width="140%" height="140%"><feGaussianBlur stdDeviation="${Math.round(w * 0.03)}"/></filter>
    </defs>
    ${backgroundSvg(s)}
    <g transform="rotate(${s.angle} ${s.width / 2} ${s.height / 2})">
      <rect x="${x + w * 0.04}" y="${y + h * 0.03}" width="${w}" height="${h}" rx="6" fill="#000" opacity="0.45" filter="url(#shadow)"/>
      <rect x="${x}" y="${y}" width="${w}" height="${h}" rx="5" fill="${s.cover}"/>
      <rect x="${x}" y="${y}" width="${w}" height="${h}" rx="5" fill="url(#sheen)"/>
      <rect x="${x}" y="${y}" width="${spine}" height="${h}" fill="url(#spine)"/>
      <rect x="${x + w * 0.2}" y="${y + h * 0.16}" width="${w * 0.66}" height="${h * 0.1}" fill="${s.band}"/>
      <rect x="${x + w * 0.28}" y="${y + h * 0.3}" width="${w * 0.5}" height="${h * 0.035}" fill="${s.band}" opacity="0.85"/>
      <rect x="${x + w * 0.34}" y="${y + h * 0.8}" width="${w * 0.38}" height="${h * 0.04}" fill="${s.band}" opacity="0.8"/>
      <rect x="${x + w * 0.16}" y="${y + h * 0.06}" width="${w * 0.74}" height="${h * 0.88}" fill="none" stroke="${s.band}" stroke-width="${Math.max(2, w * 0.008)}" opacity="0.6"/>
    </g>
  </svg>`;
}

const palette = {
  backgrounds: ["#e9e4d8", "#c9d6df", "#f4f1ea", "#8a6a4a", "#d9cbb3", "#5b6d5b"],
  covers: ["#7b1e1e", "#1f3a5f", "#2f4f2f", "#4a2c1a", "#6b4f8a", "#8c6d1f"],
  bands: ["#d4af37", "#e8e0c8", "#c0c0c0", "#111111"],
};

export function sampleListings(seed = 1859): SampleListing[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const scenes = (n: number): Scene[] =>
    Array.from({ length: n }, (_, i) => {
      const landscape = rand() > 0.5;
      const long = 1000 + Math.round(rand() * 500);
      return {
        width: landscape ? long : Math.round(long * 0.8),
        height: landscape ? Math.round(long * 0.75) : long,
        background: (["plain", "linen", "wood", "gradient"] as const)[(i + Math.floor(rand() * 4)) % 4],
        bg: pick(palette.backgrounds),
        cover: pick(palette.covers),
        band: pick(palette.bands),
        scale: 0.55 + rand() * 0.25,
        angle: Math.round((rand() - 0.5) * 16),
      };
    });
  return [
    {
      id: "315209876543",
      title: "A Tale of Two Cities — Charles Dickens — 1859 First Edition, Chapman & Hall",
      price: "4250.00",
      condition: "Used",
      seller: "antiquarian_books_ltd",
      aspects: {
        Author: "Charles Dickens",
        Publisher: "Chapman & Hall",
        "Publication Year": "1859",
        Format: "Hardcover",
        Language: "English",
      },
      scenes: scenes(3),
    },
    {
      id: "266012345678",
      title: "Moby-Dick; or, The Whale — Herman Melville — Harper & Brothers 1851",
      price: "1899.99",
      condition: "Used",
      seller: "whaling_library",
      aspects: { Author: "Herman Melville", Publisher: "Harper & Brothers", "Publication Year": "1851", Binding: "Cloth" },
      scenes: scenes(4),
    },
    {
      id: "175598765432",
      title: "Pride and Prejudice — Jane Austen — Illustrated, George Allen 1894 (Peacock edition)",
      price: "975.00",
      condition: "Used",
      seller: "regency_rare_books",
      aspects: { Author: "Jane Austen", Publisher: "George Allen", "Publication Year": "1894", Illustrator: "Hugh Thomson" },
      scenes: scenes(2),
    },
    {
      id: "404411223344",
      title: "The Hound of the Baskervilles — Arthur Conan Doyle — George Newnes 1902",
      price: "2400.00",
      condition: "Used",
      seller: "baker_street_books",
      aspects: { Author: "Arthur Conan Doyle", Publisher: "George Newnes", "Publication Year": "1902" },
      scenes: scenes(3),
    },
  ];
}

/** Writes the listings into `outDir` (replacing their folders). */
export async function generateFixtures(outDir = defaultFixturesDir, seed = 1859): Promise<string[]> {
  const written: string[] = [];
  for (const listing of sampleListings(seed)) {
    const folder = join(resolve(outDir), listing.id);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    const files: string[] = [];
    for (const [i, scene] of listing.scenes.entries()) {
      const file = `photo-${i + 1}.jpg`;
      await sharp(Buffer.from(bookSvg(scene)))
        .jpeg({ quality: 72, mozjpeg: true })
        .toFile(join(folder, file));
      files.push(file);
    }
    const item = {
      legacyItemId: listing.id,
      title: listing.title,
      price: { value: listing.price, currency: "USD" },
      condition: listing.condition,
      conditionId: "3000",
      seller: { username: listing.seller, feedbackPercentage: "99.8", feedbackScore: 1520 },
      image: { imageUrl: files[0] },
      additionalImages: files.slice(1).map((imageUrl) => ({ imageUrl })),
      localizedAspects: Object.entries(listing.aspects).map(([name, value]) => ({ type: "STRING", name, value })),
      categoryPath: "Books & Magazines|Antiquarian & Collectible",
    };
    writeFileSync(join(folder, "listing.json"), `${JSON.stringify(item, null, 2)}\n`);
    written.push(folder);
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? defaultFixturesDir;
  for (const folder of await generateFixtures(out)) console.log(`wrote ${folder}`);
}
