/**
 * Bundles the API's two entry points into self-contained ESM files for the container image:
 * `lambda.mjs` (handler `lambda.handler`) and `server.mjs` (Node server for compose), and puts
 * beside them the static files the bundle reads at run time: Swagger UI's files from the pinned
 * `swagger-ui-dist` (`swagger-ui/`, with its version in `VERSION`), and the dashboard's script
 * (`assets/dashboard.js`, bundled from its typed components; the Dockerfile adds the css and icon).
 * Used by the Dockerfile and by its test. Run: `node services/api/bundle.mjs <outDir>`.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { buildDashboardScript } from "./src/dashboard/build-dashboard-script.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const require = createRequire(import.meta.url);

/** The files `services/api/src/docs/swagger-ui-files.ts` looks for next to the bundle. */
function copySwaggerUi(outdir) {
  const pkgJson = require.resolve("swagger-ui-dist/package.json");
  const target = join(outdir, "swagger-ui");
  mkdirSync(target, { recursive: true });
  for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) copyFileSync(join(dirname(pkgJson), file), join(target, file));
  writeFileSync(join(target, "VERSION"), `${JSON.parse(readFileSync(pkgJson, "utf8")).version}\n`);
}

export async function bundleApi(outdir) {
  copySwaggerUi(outdir);
  mkdirSync(join(outdir, "assets"), { recursive: true });
  writeFileSync(join(outdir, "assets", "dashboard.js"), await buildDashboardScript());
  return build({
    entryPoints: { lambda: here("./src/lambda.ts"), server: here("./src/server.ts") },
    outdir,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    outExtension: { ".js": ".mjs" },
    sourcemap: true,
    legalComments: "none",
    logLevel: "warning",
    // CommonJS dependencies inside an ESM bundle still call require().
    banner: {
      js: "import { createRequire as __bmxCreateRequire } from 'node:module'; const require = __bmxCreateRequire(import.meta.url);",
    },
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2] ?? "dist";
  await bundleApi(out);
  console.log(`bundled api into ${out}`);
}
