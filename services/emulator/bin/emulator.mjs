#!/usr/bin/env node
/**
 * Fast launcher for the emulator CLI: runs a bundled `dist/cli.mjs` with plain node, rebuilding it
 * with esbuild only when a source file is newer. Loading TypeScript through tsx costs ~0.4 s per
 * start; the bundle starts in well under that. Same flags as `src/cli.ts`.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "cli.mjs");

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

if (!existsSync(out) || statSync(out).mtimeMs < newestSource(join(root, "src"))) {
  const { build } = await import("esbuild");
  await build({
    entryPoints: [join(root, "src", "cli.ts")],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    // Dependencies (and @bluemoxon/core, imported only when provisioning) stay external so the
    // bundle loads nothing heavy at start.
    packages: "external",
    external: ["@bluemoxon/core"],
    logLevel: "warning",
  });
}
// Provisioning loads @bluemoxon/core, which is TypeScript: only then is tsx's loader worth its start cost.
if (process.argv.includes("--manifest")) {
  const { register } = await import("tsx/esm/api");
  register();
}
await import(pathToFileURL(out).href);
