/** Reads the dashboard's static files and names each by a hash of its content (cache busting). */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

export interface DashboardAsset {
  /** The served file name, e.g. `dashboard.1a2b3c4d5e.js`. */
  file: string;
  /** URL path under which the page links it. */
  path: string;
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  etag: string;
}

const sources = {
  script: { name: "dashboard", ext: "js", contentType: "text/javascript; charset=utf-8" },
  style: { name: "dashboard", ext: "css", contentType: "text/css; charset=utf-8" },
  icon: { name: "icon", ext: "svg", contentType: "image/svg+xml" },
} as const;

export function loadDashboardAssets(dir: URL = new URL("./assets/", import.meta.url)): Record<keyof typeof sources, DashboardAsset> {
  const entries = Object.entries(sources).map(([key, s]) => {
    const body = new Uint8Array(readFileSync(new URL(`${s.name}.${s.ext}`, dir)));
    const hash = createHash("sha256").update(body).digest("hex").slice(0, 10);
    const file = `${s.name}.${hash}.${s.ext}`;
    return [key, { file, path: `/dashboard/${file}`, body, contentType: s.contentType, etag: `"${hash}"` }];
  });
  return Object.fromEntries(entries) as Record<keyof typeof sources, DashboardAsset>;
}
