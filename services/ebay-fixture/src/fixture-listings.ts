/**
 * The listing folders of a fixture directory (`<dir>/<itemId>/listing.json`), as the e2e run, the
 * benchmarks and the tests pick their sample imports.
 *
 * @example
 * fixtureListingUrls(); // ["https://www.ebay.com/itm/175598765432", …]
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { defaultFixturesDir } from "./start-ebay-fixture.ts";

/** The item ids of the folders in `dir` that hold a `listing.json`, sorted. */
export function fixtureItemIds(dir: string = defaultFixturesDir): string[] {
  return readdirSync(dir)
    .filter((id) => existsSync(join(dir, id, "listing.json")))
    .sort();
}

/** The eBay address a collector pastes for an item (the fixture serves it under `npm start`). */
export const listingUrl = (itemId: string) => `https://www.ebay.com/itm/${itemId}`;

/** The eBay addresses of every listing in `dir`. */
export const fixtureListingUrls = (dir: string = defaultFixturesDir) => fixtureItemIds(dir).map(listingUrl);
