#!/usr/bin/env zx
// Promotes the digests of one environment's last green release to another: scripts/deploy/promote.ts (typed, under tsc).
// This shim keeps `zx scripts/promote.mjs …` and `node scripts/promote.mjs …` working.
import { runTypedCli } from "./deploy/run-typed-cli.mjs";

await runTypedCli(import.meta.url, "./promote.ts");
