/**
 * Bundles the dashboard's typed components (`client/main.tsx`, hono/jsx/dom) into one browser
 * script with esbuild. Plain JavaScript so both places that build it can load it: `bundle.mjs`
 * (at image build: writes `assets/dashboard.js` next to the API bundle) and, when no built file
 * is there (`npm start`, tests: the source tree), `load-dashboard-assets.ts` on first request.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** @returns {Promise<Uint8Array>} the script */
export async function buildDashboardScript() {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("./client/main.tsx", import.meta.url))],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    jsx: "automatic",
    jsxImportSource: "hono/jsx/dom",
    legalComments: "none",
    logLevel: "warning",
  });
  return result.outputFiles[0].contents;
}
