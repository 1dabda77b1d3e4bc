#!/usr/bin/env zx
// `zx scripts/e2e.mjs …` — the code is TypeScript, in scripts/dev/e2e.ts; this shim keeps the command the same.
import { fileURLToPath } from "node:url";
import { tsImport } from "tsx/esm/api";

const { main } = await tsImport("./dev/e2e.ts", import.meta.url);
const { scriptArgs } = await tsImport("./dev/parse-cli.ts", import.meta.url);
await main(scriptArgs(process.argv, fileURLToPath(import.meta.url)));
