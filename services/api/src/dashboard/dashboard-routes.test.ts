import { OpenAPIHono } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { isPublicPath } from "../auth/api-key-auth.ts";
import type { AppEnv } from "../routes/app-env.ts";
import { dashboardRoutes } from "./index.ts";

const app = dashboardRoutes();

async function page() {
  const res = await app.request("/");
  const html = await res.text();
  const assets = [...html.matchAll(/(?:href|src)="(\/dashboard\/[^"]+)"/g)].map((m) => m[1]!);
  return { res, html, assets: [...new Set(assets)] };
}

describe("dashboardRoutes", () => {
  it("serves the page with a strict CSP and no inline script, style or handlers", async () => {
    const { res, html } = await page();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style/);
    expect(html).not.toMatch(/\s(on[a-z]+|style)=/);
  });

  it("is a shell the components render into, and its script is their bundle (hono/jsx/dom, no JSX left)", async () => {
    const { html, assets } = await page();
    expect(html).toMatch(/<div id="root" data-icon="\/dashboard\/icon\.[0-9a-f]{10}\.svg"><\/div>/);
    const script = await (await app.request(assets.find((a) => a.endsWith(".js"))!)).text();
    expect(script.length).toBeGreaterThan(5_000);
    // Built from client/: the labels and texts of the components are in it, and no import is left for the browser to resolve.
    for (const text of ["Connect to the API", "Listing URL or item id", "Retry failed jobs", "sessionStorage"])
      expect(script).toContain(text);
    expect(script).not.toContain("localStorage");
    expect(script).not.toMatch(/\bimport\s*[{*"']|from\s*"hono/);
  });

  it("serves each linked asset under a content-hashed, public path, cacheable for good", async () => {
    const { assets } = await page();
    expect(assets.map((a) => a.split(".").pop()).sort()).toEqual(["css", "js", "svg"]);
    for (const path of assets) {
      // The page and its files must load before the browser has a key.
      expect(isPublicPath(path)).toBe(true);
      const res = await app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toContain("immutable");
      const etag = res.headers.get("etag")!;
      expect(path).toContain(etag.replaceAll('"', ""));
      const again = await app.request(path, { headers: { "if-none-match": etag } });
      expect(again.status).toBe(304);
    }
    expect(isPublicPath("/")).toBe(true);
  });

  it("answers 404 for unknown files and for the unhashed names", async () => {
    expect((await app.request("/dashboard/dashboard.js")).status).toBe(404);
    expect((await app.request("/dashboard/../index.ts")).status).toBe(404);
  });

  it("references nothing outside this server (the network may be closed)", async () => {
    const { html, assets } = await page();
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const path of assets) {
      // Only namespace URIs (SVG, and MathML in hono/jsx/dom) and the import field's example text may look like URLs.
      const body = (await (await app.request(path)).text())
        .replaceAll("http://www.w3.org/", "")
        .replaceAll('placeholder:"https://www.ebay.com/itm/315209876543"', "");
      expect(body).not.toMatch(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
    }
  });

  it("works mounted at / of the API app, as app.ts mounts it", async () => {
    const parent = new OpenAPIHono<AppEnv>();
    parent.route("/", dashboardRoutes());
    const { assets } = await page();
    expect((await parent.request("/")).status).toBe(200);
    expect((await parent.request(assets[0]!)).status).toBe(200);
  });
});
