#!/usr/bin/env zx
// Refuses a deploy that cannot work, before any apply: scripts/deploy/preflight.ts (typed, under tsc).
// This shim keeps `zx scripts/preflight.mjs …` and `node scripts/preflight.mjs …` working.
import { runTypedCli } from "./deploy/run-typed-cli.mjs";

await runTypedCli(import.meta.url, "./preflight.ts");
