#!/usr/bin/env node
// `npm run logs` — the code is TypeScript, in scripts/dev/logs.ts.
import { fileURLToPath } from "node:url";
import { tsImport } from "tsx/esm/api";

const { logs } = await tsImport("./dev/logs.ts", import.meta.url);
const { scriptArgs } = await tsImport("./dev/parse-cli.ts", import.meta.url);
process.exitCode = logs(scriptArgs(process.argv, fileURLToPath(import.meta.url)));
