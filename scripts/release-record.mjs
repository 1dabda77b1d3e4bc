#!/usr/bin/env zx
// Reads or writes an environment's release record: scripts/deploy/release-record.ts (typed, under tsc).
// This shim keeps `zx scripts/release-record.mjs …` and `node scripts/release-record.mjs …` working.
import { runTypedCli } from "./deploy/run-typed-cli.mjs";

await runTypedCli(import.meta.url, "./release-record.ts");
