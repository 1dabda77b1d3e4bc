/**
 * A folder of eBay fixture listings (`<legacyItemId>/listing.json` + photos) made with sharp:
 * each a small photo of a coloured "book" on a contrasting background, so the real model has
 * something to cut out, and optionally some photos that look like JPEGs but do not decode.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";

export interface GeneratedListing {
  id: string;
  /** A photo that starts like a JPEG but cannot be decoded (the worker must fail it with a reason). */
  broken: boolean;
}

async function bookPhoto(i: number): Promise<Buffer> {
  const hue = (i * 47) % 360;
  const width = 192;
  const height = 144;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="hsl(${(hue + 180) % 360},25%,85%)"/>
    <rect x="${60 + (i % 9)}" y="20" width="72" height="104" rx="3" fill="hsl(${hue},55%,30%)"/>
    <rect x="${66 + (i % 9)}" y="34" width="60" height="10" fill="hsl(${hue},40%,75%)"/>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 80 }).toBuffer();
}

/**
 * @example
 * const listings = await generateListings(dir, { count: 100, broken: 5 });
 */
export async function generateListings(
  dir: string,
  { count, broken = 0, idBase = 710_000_000_000 }: { count: number; broken?: number; idBase?: number },
): Promise<GeneratedListing[]> {
  mkdirSync(dir, { recursive: true });
  const listings: GeneratedListing[] = [];
  for (let i = 0; i < count; i++) {
    const id = String(idBase + i);
    // Spread the broken ones through the run instead of bunching them at the end.
    const isBroken = broken > 0 && i % Math.floor(count / broken) === 0 && listings.filter((l) => l.broken).length < broken;
    const folder = join(dir, id);
    mkdirSync(folder, { recursive: true });
    const photo = isBroken ? Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2048, 0x5a)]) : await bookPhoto(i);
    writeFileSync(join(folder, "photo-1.jpg"), photo);
    writeFileSync(
      join(folder, "listing.json"),
      JSON.stringify({
        legacyItemId: id,
        title: `Chaos test book ${i}`,
        price: { value: `${10 + i}.00`, currency: "USD" },
        condition: "Used",
        seller: { username: "chaos_seller" },
        image: { imageUrl: "photo-1.jpg" },
        localizedAspects: [{ type: "STRING", name: "Author", value: `Author ${i}` }],
      }),
    );
    listings.push({ id, broken: isBroken });
  }
  return listings;
}
