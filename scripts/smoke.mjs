#!/usr/bin/env zx
// Smoke tests of a deployed API and worker: scripts/deploy/smoke.ts (typed, under tsc).
// This shim keeps `zx scripts/smoke.mjs …` and `node scripts/smoke.mjs …` working.
import { runTypedCli } from "./deploy/run-typed-cli.mjs";

await runTypedCli(import.meta.url, "./smoke.ts");
