#!/usr/bin/env zx
// Puts a deployed release into service, migrations first: scripts/deploy/go-live.ts (typed, under tsc).
// This shim keeps `zx scripts/go-live.mjs …` and `node scripts/go-live.mjs …` working.
import { runTypedCli } from "./deploy/run-typed-cli.mjs";

await runTypedCli(import.meta.url, "./go-live.ts");
