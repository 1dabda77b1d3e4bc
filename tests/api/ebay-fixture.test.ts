/** The eBay fixture: Browse-API-shaped answers, eBay-shaped errors, and the shipped sample listings. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultFixturesDir, type EbayFixture, startEbayFixture } from "../../services/ebay-fixture/src/index.ts";

let ebay: EbayFixture;
beforeAll(async () => {
  ebay = await startEbayFixture({ port: 0 });
});
afterAll(() => ebay.close());

async function token(): Promise<string> {
  const res = await fetch(`${ebay.url}/identity/v1/oauth2/token`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from("id:secret").toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials&scope=https%3A%2F%2Fapi.ebay.com%2Foauth%2Fapi_scope",
  });
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(body).toMatchObject({ expires_in: expect.any(Number), token_type: "Application Access Token" });
  return body.access_token;
}

describe("ebay-fixture", () => {
  it("serves every shipped listing with photos rewritten to its own URL, and the photos themselves", async () => {
    const bearer = await token();
    const ids = readdirSync(defaultFixturesDir).filter((d) => /^\d+$/.test(d));
    expect(ids.length).toBeGreaterThanOrEqual(3);
    for (const id of ids) {
      const res = await fetch(`${ebay.url}/buy/browse/v1/item/get_item_by_legacy_id?legacy_item_id=${id}`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      expect(res.status).toBe(200);
      const item = await res.json();
      expect(item).toMatchObject({ legacyItemId: id, itemId: `v1|${id}|0`, title: expect.any(String), price: { currency: "USD" } });
      const urls = [item.image.imageUrl, ...item.additionalImages.map((a: { imageUrl: string }) => a.imageUrl)];
      expect(urls.length).toBeGreaterThanOrEqual(2);
      expect(urls.length).toBeLessThanOrEqual(4);
      for (const url of urls) {
        expect(url.startsWith(`${ebay.url}/images/${id}/`)).toBe(true);
        const photo = await fetch(url);
        expect(photo.headers.get("content-type")).toBe("image/jpeg");
        const meta = await sharp(Buffer.from(await photo.arrayBuffer())).metadata();
        expect(meta.format).toBe("jpeg");
        expect(Math.max(meta.width!, meta.height!)).toBeGreaterThanOrEqual(800);
        expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(1600);
      }
      expect(JSON.parse(readFileSync(join(defaultFixturesDir, id, "listing.json"), "utf8")).localizedAspects.length).toBeGreaterThan(0);
    }
  });

  it("answers like eBay for unknown ids, bad tokens and path tricks", async () => {
    const bearer = await token();
    const missing = await fetch(`${ebay.url}/buy/browse/v1/item/get_item_by_legacy_id?legacy_item_id=111111111111`, {
      headers: { authorization: `Bearer ${bearer}` },
    });
    expect(missing.status).toBe(404);
    expect((await missing.json()).errors[0]).toMatchObject({ errorId: 11001, domain: "API_BROWSE" });
    const noToken = await fetch(`${ebay.url}/buy/browse/v1/item/get_item_by_legacy_id?legacy_item_id=315209876543`);
    expect(noToken.status).toBe(401);
    expect((await fetch(`${ebay.url}/images/315209876543/..%2F..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${ebay.url}/images/315209876543/listing.json`)).status).toBe(404);
  });
});
