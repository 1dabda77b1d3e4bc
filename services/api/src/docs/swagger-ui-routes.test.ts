import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { isPublicPath } from "../auth/api-key-auth.ts";
import { swaggerUiRoutes } from "./swagger-ui-routes.ts";

const app = swaggerUiRoutes({ specUrl: "/openapi.json" });
const installed = (createRequire(import.meta.url)("swagger-ui-dist/package.json") as { version: string }).version;

async function page() {
  const res = await app.request("/docs");
  const html = await res.text();
  // The icon is an empty data: URL, so the browser asks no key-protected /favicon.ico.
  const refs = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]!).filter((r) => r !== "data:,");
  return { res, html, refs };
}

describe("swaggerUiRoutes", () => {
  it("serves /docs under a strict CSP, with no inline script and nothing from another origin", async () => {
    const { res, html, refs } = await page();
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\s(on[a-z]+|style)=/);
    expect(html).not.toMatch(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    expect(refs.length).toBe(3);
    for (const ref of refs) expect(ref.startsWith(`/docs/${installed}/`)).toBe(true);
  });

  it("serves the installed swagger-ui-dist files byte for byte, public and cacheable for good", async () => {
    const dir = new URL("./", `file://${createRequire(import.meta.url).resolve("swagger-ui-dist/package.json")}`);
    for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
      const path = `/docs/${installed}/${file}`;
      expect(isPublicPath(path)).toBe(true);
      const res = await app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toContain("immutable");
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(new URL(file, dir)))).toBe(true);
    }
  });

  it("starts Swagger UI from a served file pointing at the spec, without the public validator", async () => {
    const init = await (await app.request(`/docs/${installed}/swagger-initializer.js`)).text();
    expect(init).toContain('url: "/openapi.json"');
    expect(init).toContain("validatorUrl: null");
  });

  it("answers 404 for other versions and for files it does not serve", async () => {
    expect((await app.request("/docs/0.0.1/swagger-ui-bundle.js")).status).toBe(404);
    expect((await app.request(`/docs/${installed}/index.html`)).status).toBe(404);
    expect((await app.request(`/docs/${installed}/package.json`)).status).toBe(404);
  });
});
