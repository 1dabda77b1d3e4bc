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

  it("labels every input of the page", async () => {
    const { html } = await page();
    const ids = [...html.matchAll(/<input[^>]*\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(html).toContain(`<label for="${id}">`);
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
      // Only the SVG namespace URI may look like a URL.
      const body = (await (await app.request(path)).text()).replaceAll("http://www.w3.org/2000/svg", "");
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
