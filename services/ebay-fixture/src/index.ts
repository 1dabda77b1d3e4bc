export { defaultFixturesDir, type EbayFixture, type EbayFixtureOptions, startEbayFixture } from "./start-ebay-fixture.ts";
