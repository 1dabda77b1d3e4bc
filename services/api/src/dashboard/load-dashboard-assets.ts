/**
 * Reads the dashboard's static files and names each by a hash of its content (cache busting).
 * The script is the esbuild bundle of `client/`: the file `bundle.mjs` wrote next to the API
 * bundle (container image, Lambda), or — in the source tree (`npm start`, tests) — built once,
 * in memory, on first use. esbuild is loaded only then, so the image needs no esbuild.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";

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

async function buildScript(): Promise<Uint8Array> {
  // Not a static import: the API's own bundle must not pull in the build (and esbuild) with it.
  const builder = new URL("./build-dashboard-script.mjs", import.meta.url).href;
  const { buildDashboardScript } = (await import(/* @vite-ignore */ builder)) as typeof import("./build-dashboard-script.mjs");
  return buildDashboardScript();
}

export async function loadDashboardAssets(
  dir: URL = new URL("./assets/", import.meta.url),
): Promise<Record<keyof typeof sources, DashboardAsset>> {
  const entries = await Promise.all(
    Object.entries(sources).map(async ([key, s]) => {
      const url = new URL(`${s.name}.${s.ext}`, dir);
      const raw = key === "script" && !existsSync(url) ? await buildScript() : readFileSync(url);
      const body = new Uint8Array(raw);
      const hash = createHash("sha256").update(body).digest("hex").slice(0, 10);
      const file = `${s.name}.${hash}.${s.ext}`;
      return [key, { file, path: `/dashboard/${file}`, body, contentType: s.contentType, etag: `"${hash}"` }] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<keyof typeof sources, DashboardAsset>;
}
