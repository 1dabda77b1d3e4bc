import { describe, expect, it } from "vitest";
import { EbayCredentialsUnavailableError, EbayUpstreamError, ListingNotFoundError } from "../errors.ts";
import { createEbayClient } from "./ebay-client.ts";
import { largestImageUrl } from "./map-browse-item.ts";

const item = {
  itemId: "v1|315209876543|0",
  legacyItemId: "315209876543",
  title: "  A Tale of Two Cities ",
  price: { value: "4250.00", currency: "USD" },
  condition: "Used",
  seller: { username: "antiquarian" },
  itemWebUrl: "https://www.ebay.com/itm/315209876543",
  image: { imageUrl: "https://i.ebayimg.com/images/g/abc/s-l500.jpg" },
  additionalImages: [
    { imageUrl: "https://i.ebayimg.com/images/g/def/s-l225.jpg" },
    { imageUrl: "https://i.ebayimg.com/images/g/abc/s-l500.jpg" },
  ],
  localizedAspects: [
    { type: "STRING", name: "Author", value: "Charles Dickens" },
    { type: "STRING", name: "Publisher", value: "Chapman & Hall" },
    { type: "STRING", name: "Publication Year", value: "1859" },
  ],
};

/** A fake eBay: counts token requests, expires tokens on demand, answers items by id. */
function fakeEbay({ itemStatus = 200 } = {}) {
  const calls = { token: 0, item: 0, auth: [] as string[] };
  let valid = new Set<string>();
  const fetchImpl = (async (input: string | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const headers = new Headers(init?.headers);
    if (url.pathname === "/identity/v1/oauth2/token") {
      calls.token++;
      calls.auth.push(headers.get("authorization") ?? "");
      const token = `t${calls.token}`;
      valid.add(token);
      return Response.json({ access_token: token, expires_in: 7200 });
    }
    calls.item++;
    if (!valid.has((headers.get("authorization") ?? "").replace("Bearer ", "")))
      return Response.json({ errors: [{ errorId: 1001 }] }, { status: 401 });
    if (itemStatus !== 200) return Response.json({ errors: [{ errorId: 11001 }] }, { status: itemStatus });
    return Response.json(item);
  }) as typeof fetch;
  return { calls, fetchImpl, revokeAll: () => (valid = new Set()) };
}

describe("createEbayClient", () => {
  it("maps the item: trimmed title, price, seller, specifics, images primary first, deduplicated, largest size", async () => {
    const ebay = fakeEbay();
    const client = createEbayClient({
      baseUrl: "https://api.test/",
      credentials: async () => ({ clientId: "id", clientSecret: "s3cret" }),
      fetch: ebay.fetchImpl,
    });
    const listing = await client.getItemByLegacyId("315209876543");
    expect(listing).toMatchObject({
      legacyItemId: "315209876543",
      title: "A Tale of Two Cities",
      price: { value: "4250.00", currency: "USD" },
      seller: "antiquarian",
      author: "Charles Dickens",
      publisher: "Chapman & Hall",
      publicationYear: "1859",
    });
    expect(listing.imageUrls).toEqual(["https://i.ebayimg.com/images/g/abc/s-l1600.jpg", "https://i.ebayimg.com/images/g/def/s-l1600.jpg"]);
    expect(ebay.calls.auth[0]).toBe(`Basic ${Buffer.from("id:s3cret").toString("base64")}`);
  });

  it("caches the token until shortly before it expires, and shares one request between concurrent callers", async () => {
    const ebay = fakeEbay();
    let now = 1_000_000;
    const client = createEbayClient({
      baseUrl: "https://api.test",
      credentials: async () => ({ clientId: "a", clientSecret: "b" }),
      fetch: ebay.fetchImpl,
      now: () => now,
    });
    await Promise.all([
      client.getItemByLegacyId("1234567890"),
      client.getItemByLegacyId("1234567891"),
      client.getItemByLegacyId("1234567892"),
    ]);
    expect(ebay.calls.token).toBe(1);
    now += 7_100_000; // 7100 s: still valid
    await client.getItemByLegacyId("1234567890");
    expect(ebay.calls.token).toBe(1);
    now += 50_000; // 7150 s: inside the 60 s renewal margin of a 7200 s token
    await client.getItemByLegacyId("1234567890");
    expect(ebay.calls.token).toBe(2);
  });

  it("fetches a new token once when eBay rejects the cached one", async () => {
    const ebay = fakeEbay();
    const client = createEbayClient({
      baseUrl: "https://api.test",
      credentials: async () => ({ clientId: "a", clientSecret: "b" }),
      fetch: ebay.fetchImpl,
    });
    await client.getItemByLegacyId("1234567890");
    ebay.revokeAll();
    await client.getItemByLegacyId("1234567890");
    expect(ebay.calls.token).toBe(2);
  });

  it("turns 404 into ListingNotFoundError and 5xx into EbayUpstreamError", async () => {
    const credentials = async () => ({ clientId: "a", clientSecret: "b" });
    const missing = createEbayClient({ baseUrl: "https://api.test", credentials, fetch: fakeEbay({ itemStatus: 404 }).fetchImpl });
    await expect(missing.getItemByLegacyId("1234567890")).rejects.toBeInstanceOf(ListingNotFoundError);
    const broken = createEbayClient({ baseUrl: "https://api.test", credentials, fetch: fakeEbay({ itemStatus: 503 }).fetchImpl });
    await expect(broken.getItemByLegacyId("1234567890")).rejects.toBeInstanceOf(EbayUpstreamError);
    const noSecret = createEbayClient({
      baseUrl: "https://api.test",
      credentials: async () => {
        throw new Error("ResourceNotFoundException");
      },
      fetch: fakeEbay().fetchImpl,
    });
    await expect(noSecret.getItemByLegacyId("1234567890")).rejects.toBeInstanceOf(EbayCredentialsUnavailableError);
  });
});

describe("largestImageUrl", () => {
  it("asks for s-l1600 and leaves other URLs alone", () => {
    expect(largestImageUrl("https://i.ebayimg.com/images/g/x/s-l64.webp")).toBe("https://i.ebayimg.com/images/g/x/s-l1600.webp");
    expect(largestImageUrl("https://i.ebayimg.com/00/s/MTYwMFgxMjAw/z/x/$_57.JPG")).toBe(
      "https://i.ebayimg.com/00/s/MTYwMFgxMjAw/z/x/$_57.JPG",
    );
    expect(largestImageUrl("http://127.0.0.1:4568/images/1/photo-1.jpg")).toBe("http://127.0.0.1:4568/images/1/photo-1.jpg");
  });
});
