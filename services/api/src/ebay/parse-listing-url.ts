/**
 * Listing URL → eBay legacy item id. Collectors paste whatever their browser shows:
 * `ebay.com/itm/ID`, `/itm/slug/ID`, country sites (`ebay.co.uk`, `ebay.de`, …), `m.ebay…`,
 * tracking query strings, the old `ViewItem&item=ID` form, or just the number.
 */
import { InvalidListingUrlError } from "../errors.ts";

const itemId = /^\d{9,19}$/;
/** eBay's country domains; a host must END with one of these after `ebay.` (so `ebay.com.evil.io` is refused). */
const ebayDomain =
  /^(?:[a-z0-9-]+\.)*ebay\.(?:com|co\.uk|de|fr|it|es|ca|com\.au|at|ch|be|ie|nl|pl|com\.hk|com\.sg|com\.my|ph|in|co\.jp|cn|com\.tw|vn|co\.th)$/;

/**
 * @example
 * parseListingUrl("https://www.ebay.co.uk/itm/first-edition-dickens/315209876543?hash=item4963"); // "315209876543"
 * parseListingUrl("315209876543"); // "315209876543"
 */
export function parseListingUrl(input: string): string {
  const text = input.trim();
  if (itemId.test(text)) return text;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    throw new InvalidListingUrlError("not an eBay listing URL or item id");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new InvalidListingUrlError("a listing URL must be http(s)");
  if (!ebayDomain.test(url.hostname.toLowerCase())) throw new InvalidListingUrlError(`${url.hostname} is not an eBay site`);
  const segments = url.pathname.split("/").filter(Boolean);
  const itm = segments.findIndex((s) => s.toLowerCase() === "itm");
  if (itm >= 0) {
    // /itm/ID or /itm/slug/ID: the id is the last all-digit segment after "itm".
    const id = segments
      .slice(itm + 1)
      .reverse()
      .find((s) => itemId.test(s));
    if (id) return id;
  }
  const fromQuery = url.searchParams.get("item") ?? url.searchParams.get("itemId");
  if (fromQuery && itemId.test(fromQuery)) return fromQuery;
  throw new InvalidListingUrlError("the URL does not name an eBay item (expected /itm/<id>)");
}
