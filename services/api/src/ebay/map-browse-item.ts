/** Browse API item → the listing fields a book keeps. */
import { EbayUpstreamError } from "../errors.ts";

export interface EbayListing {
  legacyItemId: string;
  title: string;
  price: { value: string; currency: string } | null;
  condition: string | null;
  seller: string | null;
  itemUrl: string | null;
  /** Item specifics by name ("Author", "Publisher", "Publication Year", …). */
  specifics: Record<string, string>;
  author: string | null;
  publisher: string | null;
  publicationYear: string | null;
  /** Primary photo first, duplicates removed, each asking for the largest size eBay serves. */
  imageUrls: string[];
}

interface BrowseItem {
  itemId?: string;
  legacyItemId?: string;
  title?: string;
  price?: { value?: string; currency?: string };
  condition?: string;
  seller?: { username?: string };
  itemWebUrl?: string;
  image?: { imageUrl?: string };
  additionalImages?: { imageUrl?: string }[];
  localizedAspects?: { name?: string; value?: string }[];
}

/**
 * eBay picture URLs carry their size (`…/s-l500.jpg`); `s-l1600` is the largest it serves.
 * @example largestImageUrl("https://i.ebayimg.com/images/g/abc/s-l225.jpg") // ".../s-l1600.jpg"
 */
export function largestImageUrl(url: string): string {
  return url.replace(/\/s-l\d+\.(jpe?g|png|webp|gif)(\?.*)?$/i, "/s-l1600.$1$2");
}

/** An item specific by one of its names, case-insensitive. */
export function specificOf(specifics: Record<string, string>, ...names: string[]): string | null {
  for (const n of names) {
    const hit = Object.entries(specifics).find(([k]) => k.toLowerCase() === n.toLowerCase());
    if (hit) return hit[1];
  }
  return null;
}

export function mapBrowseItem(raw: unknown, requestedId: string): EbayListing {
  if (!raw || typeof raw !== "object") throw new EbayUpstreamError("eBay item is not an object");
  const item = raw as BrowseItem;
  if (typeof item.title !== "string" || !item.title.trim()) throw new EbayUpstreamError("eBay item has no title");
  const specifics: Record<string, string> = {};
  for (const a of item.localizedAspects ?? []) {
    if (a?.name && typeof a.value === "string") specifics[a.name] = a.value;
  }
  const urls = [item.image?.imageUrl, ...(item.additionalImages ?? []).map((i) => i?.imageUrl)]
    .filter((u): u is string => typeof u === "string" && u.trim() !== "")
    .map(largestImageUrl);
  return {
    legacyItemId: item.legacyItemId ?? requestedId,
    title: item.title.trim(),
    price: item.price?.value && item.price.currency ? { value: item.price.value, currency: item.price.currency } : null,
    condition: item.condition ?? null,
    seller: item.seller?.username ?? null,
    itemUrl: item.itemWebUrl ?? null,
    specifics,
    author: specificOf(specifics, "Author"),
    publisher: specificOf(specifics, "Publisher"),
    publicationYear: specificOf(specifics, "Publication Year", "Year Printed", "Year"),
    imageUrls: [...new Set(urls)],
  };
}
