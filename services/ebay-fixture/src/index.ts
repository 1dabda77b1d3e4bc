export { fixtureItemIds, fixtureListingUrls, listingUrl } from "./fixture-listings.ts";
export { defaultFixturesDir, type EbayFixture, type EbayFixtureOptions, startEbayFixture } from "./start-ebay-fixture.ts";
