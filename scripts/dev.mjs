#!/usr/bin/env zx
// `npm start` — the code is TypeScript, in scripts/dev/dev.ts; this shim keeps the command the same.
import { fileURLToPath } from "node:url";
import { tsImport } from "tsx/esm/api";

const { main } = await tsImport("./dev/dev.ts", import.meta.url);
const { scriptArgs } = await tsImport("./dev/parse-cli.ts", import.meta.url);
await main(scriptArgs(process.argv, fileURLToPath(import.meta.url)));
