/**
 * The dashboard in a real headless Chromium (Debian's package, driven by playwright-core)
 * against the whole local stack as `npm start` runs it: enter the key, import a fixture
 * listing, watch the cut-out appear without a reload, process a second photo from its button,
 * see an import error's problem detail, keep the key in sessionStorage only, render Swagger UI
 * at /docs under its CSP, and save a screenshot to test-output/dashboard.png
 * (`UPDATE_DOCS_SCREENSHOT=1` also copies it to docs/dashboard.png for the README).
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { repoRoot } from "@bluemoxon/core";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumMissing, launchChromium } from "../support/chromium.ts";
import { type Stack, startStack } from "../support/stack.ts";

const skipReason = chromiumMissing;
if (skipReason) console.log(`[tests/browser] skipped: ${skipReason}`);

// The worker removes backgrounds on CPU; on two shared cores a photo can take a while.
const jobTimeoutMs = 120_000;

const fixturesDir = resolve(repoRoot, "services/ebay-fixture/fixtures");
const listingId = readdirSync(fixturesDir)
  .filter((d) => existsSync(join(fixturesDir, d, "listing.json")))
  .sort()[0]!;
const listing = JSON.parse(readFileSync(join(fixturesDir, listingId, "listing.json"), "utf8")) as { title: string };

// A listing whose text is markup and whose item URL is script: the page must show it as text and not link it.
const hostileId = "990000000001";
const hostileTitle = `<img src=x id=injected onerror="document.title='pwned'"> Hostile <b>listing</b>`;
function writeListings(): string {
  const dir = mkdtempSync(join(tmpdir(), "bmx-browser-listings-"));
  cpSync(join(fixturesDir, listingId), join(dir, listingId), { recursive: true });
  mkdirSync(join(dir, hostileId));
  const hostile = {
    ...listing,
    legacyItemId: hostileId,
    title: hostileTitle,
    itemWebUrl: "javascript:document.title='pwned'",
    // Not in the folder: the copy fails (and nothing is queued), which the page must explain.
    image: { imageUrl: "missing.jpg" },
    additionalImages: [],
  };
  writeFileSync(join(dir, hostileId, "listing.json"), JSON.stringify(hostile));
  return dir;
}

describe.skipIf(skipReason)("dashboard in Chromium", () => {
  let stack: Stack;
  let context: BrowserContext;
  let page: Page;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let listingsDir: string;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    listingsDir = writeListings();
    stack = await startStack({ env: { EBAY_FIXTURE_DIR: listingsDir } });
    const res = await fetch(stack.dashboard);
    if (!res.headers.get("content-type")?.startsWith("text/html"))
      throw new Error(`${stack.dashboard} answered ${res.status}, not the dashboard: app.ts must mount dashboardRoutes()`);
    browser = await launchChromium({ viewport: { width: 1280, height: 860 } });
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    // CSP violations, script errors and failed loads all surface here.
    page.on("console", (m) => {
      if (m.type() === "error") browserErrors.push(m.text());
    });
    page.on("pageerror", (e) => browserErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (listingsDir) rmSync(listingsDir, { recursive: true, force: true });
  });

  const photo = (n: number) =>
    page
      .locator("article.book", { hasText: listing.title })
      .locator("li.photo")
      .nth(n - 1);
  const cutoutLoaded = (n: number) =>
    photo(n)
      .getByRole("img", { name: new RegExp(`^Photo ${n} of .* with the background removed$`) })
      .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0);

  it("serves the page without a key, under a strict CSP", async () => {
    const res = await fetch(stack.dashboard);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await res.text();
    // No inline script or event handler: everything runs from the served file.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/);
  });

  it("asks for the key, imports a listing and shows the cut-out when the job completes, one list request per poll", async () => {
    const apiReads: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => {
      if (r.method() === "GET" && new URL(r.url()).pathname.startsWith("/api/")) apiReads.push(new URL(r.url()).pathname);
    };
    page.on("request", onRequest);
    await page.goto(stack.dashboard);
    await expect.poll(() => page.getByRole("heading", { name: "Connect to the API" }).isVisible()).toBe(true);
    await page.getByLabel("API key").fill(stack.apiKey);
    await page.getByRole("button", { name: "Save key" }).click();
    await page.getByLabel("Listing URL or item id").waitFor();
    // Per tab, never in localStorage (where every later page of this origin could read it).
    expect(await page.evaluate(() => [sessionStorage.getItem("bluemoxon.apiKey"), localStorage.length])).toEqual([stack.apiKey, 0]);

    await page.getByLabel("Listing URL or item id").fill(`https://www.ebay.com/itm/${listingId}?hash=item1`);
    await page.getByRole("button", { name: "Import" }).click();
    await page.locator("#import-result", { hasText: `Imported “${listing.title}”` }).waitFor();
    await page.getByRole("heading", { name: listing.title }).waitFor();

    // The page updates by itself: no reload between the import and the completed job.
    await photo(1).locator(".badge", { hasText: "Completed" }).waitFor({ timeout: jobTimeoutMs });
    await expect.poll(() => cutoutLoaded(1), { timeout: 10_000 }).toBe(true);
    expect(await photo(1).locator(".frame.checker").count()).toBe(1);
    const original = photo(1).getByRole("img", { name: /^Photo 1 of .* as copied from the listing$/ });
    expect(await original.evaluate((img: HTMLImageElement) => img.naturalWidth > 0)).toBe(true);
    page.off("request", onRequest);
    // The page followed the job by polling the list alone: no per-book reads (before: 1 + N per poll).
    expect(apiReads.filter((p) => p === "/api/v1/books").length).toBeGreaterThanOrEqual(2);
    expect(apiReads.filter((p) => p !== "/api/v1/books")).toEqual([]);
  });

  it("processes another photo from its button and shows its cut-out", async () => {
    const button = photo(2).getByRole("button", { name: /^Process photo 2 of / });
    await button.click();
    await photo(2).locator(".badge", { hasText: "Completed" }).waitFor({ timeout: jobTimeoutMs });
    await expect.poll(() => cutoutLoaded(2), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => page.locator("#live").textContent()).toMatch(/^Idle/);

    // A full-page shot paints parts that were off screen: let every image decode first.
    await page.evaluate(() =>
      Promise.all([...document.images].filter((img) => img.src && !img.hidden).map((img) => img.decode().catch(() => {}))),
    );
    mkdirSync(resolve(repoRoot, "test-output"), { recursive: true });
    const shot = resolve(repoRoot, "test-output/dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    // The README's picture is a tracked file: refreshed on request only, so a test run leaves the tree clean.
    if (process.env.UPDATE_DOCS_SCREENSHOT === "1") copyFileSync(shot, resolve(repoRoot, "docs/dashboard.png"));
  });

  it("keeps the key across a reload, shows the API's error for a bad listing URL, and runs the retry sweep", async () => {
    await page.reload();
    await page.getByRole("heading", { name: listing.title }).waitFor();
    expect(await page.getByLabel("API key").isVisible()).toBe(false);

    const bad = "https://example.com/not-an-ebay-listing";
    const direct = await fetch(`${stack.api}/api/v1/books/import/ebay`, {
      method: "POST",
      headers: { "x-api-key": stack.apiKey, "content-type": "application/json" },
      body: JSON.stringify({ url: bad }),
    });
    expect(direct.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const problem = (await direct.json()) as { detail: string };
    await page.getByLabel("Listing URL or item id").fill(bad);
    await page.getByRole("button", { name: "Import" }).click();
    await page.locator("#import-error", { hasText: problem.detail }).waitFor();
    expect(await page.getByLabel("Listing URL or item id").getAttribute("aria-invalid")).toBe("true");

    await page.getByRole("button", { name: "Retry failed jobs" }).click();
    await page.locator("#action-message", { hasText: /^Retry sweep: \d+ examined/ }).waitFor();
  });

  it("shows a listing's markup as text, links no script URL, and explains a failed copy", async () => {
    await page.getByLabel("Listing URL or item id").fill(hostileId);
    await page.getByRole("button", { name: "Import" }).click();
    const book = page.locator("article.book", { has: page.getByRole("heading", { name: hostileTitle, exact: true }) });
    await book.waitFor();
    expect(await page.locator("#injected").count()).toBe(0);
    expect(await book.locator("h3 a").getAttribute("href")).toBeNull();
    await book.locator("li.photo .badge", { hasText: "Copy failed" }).waitFor();
    expect(await book.locator("li.photo .photo-error").textContent()).toMatch(/^Error: .+/);
    expect(await page.title()).toBe("BlueMoxon · image pipeline");
  });

  it("forgets the key on request and refuses a wrong one", async () => {
    await page.getByRole("button", { name: "Forget key" }).click();
    await page.getByLabel("API key").waitFor();
    expect(await page.evaluate(() => [sessionStorage.getItem("bluemoxon.apiKey"), localStorage.length])).toEqual([null, 0]);
    await page.getByLabel("API key").fill("not-the-key");
    await page.getByRole("button", { name: "Save key" }).click();
    await page.locator("#key-error", { hasText: "The API rejected this key" }).waitFor();
    expect(await page.locator("#app").isVisible()).toBe(false);
    // The bad import (400) and the wrong key (401) were asked for; nothing else may have failed (CSP, scripts, images).
    expect(browserErrors.filter((e) => !/status of 40[01] /.test(e))).toEqual([]);
  });

  it("renders Swagger UI at /docs from this server only, under its CSP, with the API's operations", async () => {
    const docs = await context.newPage();
    const errors: string[] = [];
    const origins = new Set<string>();
    docs.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    docs.on("pageerror", (e) => errors.push(e.message));
    docs.on("response", (r) => {
      if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
    });
    docs.on("request", (r) => {
      if (/^https?:/.test(r.url())) origins.add(new URL(r.url()).origin);
    });
    try {
      const res = await docs.goto(stack.docs);
      expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
      await docs.locator(".swagger-ui .info .title", { hasText: "BlueMoxon image pipeline API" }).waitFor();
      await docs.locator(".opblock-summary-path", { hasText: "/api/v1/books/import/ebay" }).first().waitFor();
      expect([...origins]).toEqual([new URL(stack.docs).origin]);
      // A CSP violation (an inline script or style the policy refused) would be reported here.
      expect(errors).toEqual([]);
    } finally {
      await docs.close();
    }
  });
});
