/** Writes a listing folder for the eBay fixture: photos copied from the shipped samples or given as absolute URLs. */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultFixturesDir } from "../../../services/ebay-fixture/src/index.ts";

export const samplePhoto = join(defaultFixturesDir, "315209876543", "photo-1.jpg");

let counter = 0;
/** A fresh legacy item id per call, so tests in one file never collide. */
export function nextItemId(): string {
  counter++;
  return `9${String(Date.now() % 1e8).padStart(8, "0")}${String(counter).padStart(3, "0")}`;
}

/** `photos`: a bare file name (copied from the sample, or `missing-*` to leave it absent) or an absolute URL. */
export function writeListing(dir: string, id: string, photos: string[], title = `Test book ${id}`): void {
  const folder = join(dir, id);
  mkdirSync(folder, { recursive: true });
  for (const p of photos) {
    if (!/^[a-z]+:/i.test(p) && !p.startsWith("missing-")) copyFileSync(samplePhoto, join(folder, p));
  }
  writeFileSync(
    join(folder, "listing.json"),
    JSON.stringify({
      legacyItemId: id,
      title,
      price: { value: "120.00", currency: "USD" },
      condition: "Used",
      seller: { username: "test_seller" },
      image: { imageUrl: photos[0] },
      additionalImages: photos.slice(1).map((imageUrl) => ({ imageUrl })),
      localizedAspects: [
        { type: "STRING", name: "Author", value: "Test Author" },
        { type: "STRING", name: "Publication Year", value: "1901" },
      ],
    }),
  );
}
