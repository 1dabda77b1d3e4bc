/**
 * Where Swagger UI's files are: next to the bundle in the container image (`bundle.mjs` copies
 * them to `swagger-ui/`), otherwise in the installed `swagger-ui-dist` package (`npm start`, tests).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";

/** The files of `swagger-ui-dist` the docs page uses; `bundle.mjs` copies these. */
export const swaggerUiFiles = ["swagger-ui-bundle.js", "swagger-ui.css"] as const;

export function swaggerUiDir(bundled: URL = new URL("./swagger-ui/", import.meta.url)): URL {
  if (swaggerUiFiles.every((f) => existsSync(new URL(f, bundled)))) return bundled;
  const pkg = createRequire(import.meta.url).resolve("swagger-ui-dist/package.json");
  return pathToFileURL(`${dirname(pkg)}/`);
}
