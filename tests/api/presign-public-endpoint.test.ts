/** Presigned photo URLs use S3_PUBLIC_ENDPOINT when browsers reach S3 by another name (compose). */
import { describe, expect } from "vitest";
import { apiKey, apiTest as it } from "./support/api-harness.ts";
import { nextItemId, writeListing } from "./support/write-listing.ts";

describe("S3_PUBLIC_ENDPOINT", () => {
  it("signs photo URLs for the public endpoint, and for the API's own endpoint without it", async ({ h }) => {
    const id = nextItemId();
    writeListing(h.listingsDir, id, ["front.jpg"]);
    const imported = await h.call("/api/v1/books/import/ebay", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: `https://www.ebay.com/itm/${id}` }),
    });
    expect(imported.status).toBe(201);
    const { book } = (await imported.json()) as { book: { id: string } };

    const internal = (await (await h.call(`/api/v1/books/${book.id}`)).json()) as { photos: { originalUrl: string }[] };
    expect(new URL(internal.photos[0].originalUrl).origin).toBe(new URL(h.aws.endpoint).origin);

    const publicApi = await h.startApi({ S3_PUBLIC_ENDPOINT: "http://localhost:4566" });
    const res = await fetch(`${publicApi.url}/api/v1/books/${book.id}`, { headers: { "x-api-key": apiKey } });
    const detail = (await res.json()) as { photos: { originalUrl: string }[] };
    const url = new URL(detail.photos[0].originalUrl);
    expect(url.origin).toBe("http://localhost:4566");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("rejects a value that is not a URL, naming the variable", async ({ h }) => {
    await expect(h.startApi({ S3_PUBLIC_ENDPOINT: "localhost 4566" })).rejects.toThrow(/S3_PUBLIC_ENDPOINT must be a URL/);
  });
});
