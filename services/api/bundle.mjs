/**
 * Bundles the API's two entry points into self-contained ESM files for the container image:
 * `lambda.mjs` (handler `lambda.handler`) and `server.mjs` (Node server for compose).
 * Used by the Dockerfile and by its test. Run: `node services/api/bundle.mjs <outDir>`.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export async function bundleApi(outdir) {
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
