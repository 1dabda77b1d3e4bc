import { describe, expect, it } from "vitest";
import { InvalidListingUrlError } from "../errors.ts";
import { parseListingUrl } from "./parse-listing-url.ts";

describe("parseListingUrl", () => {
  it.each([
    ["315209876543", "315209876543"],
    ["  315209876543 ", "315209876543"],
    ["https://www.ebay.com/itm/315209876543", "315209876543"],
    ["https://www.ebay.com/itm/first-edition-dickens-1859/315209876543", "315209876543"],
    ["https://www.ebay.co.uk/itm/315209876543?hash=item4963&var=0", "315209876543"],
    ["https://www.ebay.de/itm/315209876543#desc", "315209876543"],
    ["https://m.ebay.com/itm/315209876543?mkcid=16", "315209876543"],
    ["ebay.com.au/itm/slug/315209876543", "315209876543"],
    ["http://www.ebay.ca/itm/315209876543/", "315209876543"],
    ["https://cgi.ebay.com/ws/eBayISAPI.dll?ViewItem&item=315209876543", "315209876543"],
  ])("%s → %s", (input, id) => {
    expect(parseListingUrl(input)).toBe(id);
  });

  it.each([
    "",
    "hello",
    "12345",
    "https://www.amazon.com/itm/315209876543",
    "https://ebay.com.evil.io/itm/315209876543",
    "https://notebay.com/itm/315209876543",
    "ftp://www.ebay.com/itm/315209876543",
    "https://www.ebay.com/sch/i.html?_nkw=dickens",
    "https://www.ebay.com/itm/not-a-number",
  ])("refuses %j", (input) => {
    expect(() => parseListingUrl(input)).toThrow(InvalidListingUrlError);
  });
});
