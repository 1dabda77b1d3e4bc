import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fixtureItemIds, fixtureListingUrls } from "./fixture-listings.ts";

describe("fixture listings", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("lists the folders that hold a listing.json, sorted, and their eBay addresses", () => {
    dir = mkdtempSync(join(tmpdir(), "bmx-fixture-listings-"));
    for (const id of ["300000000002", "100000000001", "no-listing"]) mkdirSync(join(dir, id));
    writeFileSync(join(dir, "300000000002", "listing.json"), "{}");
    writeFileSync(join(dir, "100000000001", "listing.json"), "{}");
    expect(fixtureItemIds(dir)).toEqual(["100000000001", "300000000002"]);
    expect(fixtureListingUrls(dir)).toEqual(["https://www.ebay.com/itm/100000000001", "https://www.ebay.com/itm/300000000002"]);
  });

  it("finds the shipped sample listings by default", () => {
    dir = "";
    expect(fixtureItemIds().length).toBeGreaterThan(0);
    expect(fixtureListingUrls()[0]).toMatch(/^https:\/\/www\.ebay\.com\/itm\/\d+$/);
  });
});
