#!/usr/bin/env node
// `npm run invoke` — the code is TypeScript, in scripts/dev/invoke.ts.
import { fileURLToPath } from "node:url";
import { tsImport } from "tsx/esm/api";

const { invoke } = await tsImport("./dev/invoke.ts", import.meta.url);
const { scriptArgs } = await tsImport("./dev/parse-cli.ts", import.meta.url);
process.exitCode = await invoke(scriptArgs(process.argv, fileURLToPath(import.meta.url)));
