/** CLI: `npm run ebay-fixture` (EBAY_FIXTURE_DIR, EBAY_FIXTURE_PORT, EBAY_FIXTURE_HOST, EBAY_FIXTURE_PUBLIC_URL). */
import { startEbayFixture } from "./start-ebay-fixture.ts";

const port = Number(process.env.EBAY_FIXTURE_PORT || 4568);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`EBAY_FIXTURE_PORT must be a port number, got "${process.env.EBAY_FIXTURE_PORT}"`);
  process.exit(1);
}
const fixture = await startEbayFixture({
  port,
  host: process.env.EBAY_FIXTURE_HOST || "127.0.0.1",
  dir: process.env.EBAY_FIXTURE_DIR || undefined,
  publicUrl: process.env.EBAY_FIXTURE_PUBLIC_URL || undefined,
});
console.log(`ebay-fixture listening ${fixture.url}`);
const stop = () => fixture.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
