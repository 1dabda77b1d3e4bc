/**
 * `/docs`: Swagger UI from the pinned `swagger-ui-dist` package, served by this API under a
 * strict CSP — no CDN, no inline script (the start-up call is a file of its own), fetches only
 * to this origin (the OpenAPI document). Files are served under the package version, so a
 * version bump is a new URL and they can be cached for good.
 * Mount with `app.route("/", swaggerUiRoutes({ specUrl: "/openapi.json" }))`.
 */
import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { swaggerUiDir, swaggerUiFiles } from "./swagger-ui-files.ts";

/** Swagger UI sets element styles from script (allowed) and shows data: SVG icons. */
export const docsContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

const contentTypes: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

const attr = (value: string) =>
  value.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

function swaggerUiVersion(dir: URL): string {
  try {
    return (JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as { version: string }).version;
  } catch {
    // The image holds the files without package.json: bundle.mjs writes the version beside them.
    return readFileSync(new URL("VERSION", dir), "utf8").trim();
  }
}

export interface SwaggerUiOptions {
  /** The OpenAPI document's URL (same origin). */
  specUrl: string;
  title?: string;
  dir?: URL;
}

/**
 * @example
 * app.route("/", swaggerUiRoutes({ specUrl: "/openapi.json" }));
 * // GET /docs → the page; GET /docs/5.35.0/swagger-ui-bundle.js → the package's file
 */
export function swaggerUiRoutes({ specUrl, title = "API docs", dir }: SwaggerUiOptions): Hono {
  const app = new Hono();
  let files: { version: string; bodies: Map<string, Uint8Array<ArrayBuffer>> } | undefined;
  // Read on first use: a process that never serves /docs never touches the 1.5 MB bundle.
  const load = () => {
    if (files) return files;
    const from = dir ?? swaggerUiDir();
    const bodies = new Map<string, Uint8Array<ArrayBuffer>>();
    for (const f of swaggerUiFiles) bodies.set(f, new Uint8Array(readFileSync(new URL(f, from))));
    // Our own start-up script: a served file, so script-src needs no 'unsafe-inline' or hash.
    const init = `window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });
});
`;
    bodies.set("swagger-initializer.js", new TextEncoder().encode(init) as Uint8Array<ArrayBuffer>);
    files = { version: swaggerUiVersion(from), bodies };
    return files;
  };

  app.get("/docs", (c) => {
    const { version } = load();
    const base = `/docs/${version}`;
    c.header("content-security-policy", docsContentSecurityPolicy);
    c.header("cache-control", "no-store");
    return c.html(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${attr(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/swagger-ui.css">
<script src="${base}/swagger-ui-bundle.js" defer></script>
<script src="${base}/swagger-initializer.js" defer></script>
</head>
<body>
<div id="swagger-ui"></div>
</body>
</html>
`);
  });

  app.get("/docs/:version/:file", (c) => {
    const { version, bodies } = load();
    const body = bodies.get(c.req.param("file"));
    if (c.req.param("version") !== version || !body) return c.notFound();
    const ext = c.req.param("file").split(".").pop() ?? "";
    return c.body(body, 200, {
      "content-type": contentTypes[ext] ?? "application/octet-stream",
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
    });
  });
  return app;
}
