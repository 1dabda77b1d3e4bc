/**
 * The dashboard: one public HTML page at `/` plus its script, stylesheet and icon under
 * `/dashboard/`. The page itself holds no data — the browser asks for the API key once, keeps
 * it in sessionStorage and calls the JSON API with it — so serving the page needs no key.
 * The script is the bundle of the typed components in `client/` (see `load-dashboard-assets.ts`
 * for where it is built); assets are read once and served with a content hash in the URL.
 * Mount with `app.route("/", dashboardRoutes())`.
 */
import { Hono } from "hono";
import { type DashboardAsset, loadDashboardAssets } from "./load-dashboard-assets.ts";
import { renderDashboardPage } from "./render-dashboard-page.ts";

/**
 * A strict policy for the page: scripts and styles only from our own files (no inline code),
 * fetches only to this API. Photos are presigned S3 URLs on another origin (the bucket
 * endpoint), so images may come from any http(s) origin.
 */
export const dashboardContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' http: https: data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * @example
 * app.route("/", dashboardRoutes());
 * // GET / → the page; GET /dashboard/dashboard.<hash>.js → its script
 */
export function dashboardRoutes(): Hono {
  const app = new Hono();
  let assets: Promise<Record<string, DashboardAsset>> | undefined;
  // Read (or built) on first use, not at import: a process that never serves the page never touches the files.
  const getAssets = () => {
    assets ??= loadDashboardAssets();
    assets.catch(() => {
      assets = undefined;
    });
    return assets;
  };

  app.get("/", async (c) => {
    const a = await getAssets();
    c.header("content-security-policy", dashboardContentSecurityPolicy);
    c.header("cache-control", "no-store");
    return c.html(renderDashboardPage({ script: a.script.path, style: a.style.path, icon: a.icon.path }));
  });

  app.get("/dashboard/:file", async (c) => {
    const file = c.req.param("file");
    const asset = Object.values(await getAssets()).find((x) => x.file === file);
    if (!asset) return c.notFound();
    if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304, { etag: asset.etag });
    return c.body(asset.body, 200, {
      "content-type": asset.contentType,
      etag: asset.etag,
      // The hash is in the name, so a new version is a new URL.
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
    });
  });
  return app;
}
