/**
 * `node /var/task/cutout.mjs <photo> <out.png>` in the worker image, or
 * `npx tsx services/worker/src/cutout-cli.ts <photo> <out.png>` in the repository: the worker's
 * engine on one file, configured by the same `BG_*` variables as the handler (and threads from
 * `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` when set, as on Lambda). For seeing what the deployed engine
 * makes of a photo without a queue, a bucket or a database, and for timing a cold start: process
 * start → first cut-out is the `coldStartMs` it prints (scripts/bench-worker-cold.ts).
 *
 * Prints one JSON line on success: `{ out, width, height, coldStartMs, timings }`.
 * Exits 1 when the photo cannot be read or is refused (the message says why), 2 on a bad command
 * line, 78 on a bad configuration (naming the variable).
 *
 * @example
 * docker run --rm -v "$PWD:/w" --entrypoint node bluemoxon-worker /var/task/cutout.mjs /w/book.jpg /w/book.png
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { errorMessage, loadConfig } from "@bluemoxon/core";
import { createBackgroundRemover } from "./background/background-remover.ts";
import { engineConfigSchema, engineOptions } from "./worker-config.ts";

const usage = `usage: cutout <photo> <out.png>

Removes the background of one photo with the worker's engine and writes the cut-out (RGBA PNG).
Environment: BG_MODEL, BG_MODEL_DIR, BG_MEMORY_ARENA, BG_TRIM_PADDING, BG_MAX_OUTPUT_EDGE,
MAX_INPUT_PIXELS, AWS_LAMBDA_FUNCTION_MEMORY_SIZE (see services/worker/README.md).`;

function fail(code: number, message: string): never {
  process.stderr.write(`cutout: ${message}\n`);
  process.exit(code);
}

let paths: string[];
try {
  const parsed = parseArgs({ allowPositionals: true, options: { help: { type: "boolean", short: "h" } }, strict: true });
  if (parsed.values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  paths = parsed.positionals;
} catch (error) {
  fail(2, `${errorMessage(error)}\n\n${usage}`);
}
if (paths.length !== 2) fail(2, `expected a photo and an output path, got ${paths.length} argument(s)\n\n${usage}`);
const [photo, out] = paths;

let config: ReturnType<typeof engineOptions>;
try {
  config = engineOptions(loadConfig(engineConfigSchema));
} catch (error) {
  fail(78, errorMessage(error));
}

let bytes: Buffer;
try {
  bytes = readFileSync(photo);
} catch (error) {
  fail(1, `cannot read ${photo}: ${errorMessage(error)}`);
}

let remover: Awaited<ReturnType<typeof createBackgroundRemover>>;
try {
  remover = await createBackgroundRemover(config.remover);
} catch (error) {
  fail(
    1,
    `cannot load the ${config.remover.model} model${config.remover.modelDir ? ` from BG_MODEL_DIR=${config.remover.modelDir}` : ""}: ${errorMessage(error)}`,
  );
}
let result: Awaited<ReturnType<typeof remover.remove>>;
try {
  result = await remover.remove(bytes, config.output);
} catch (error) {
  fail(1, `${photo}: ${errorMessage(error)}`);
}
try {
  writeFileSync(out, result.png);
} catch (error) {
  fail(1, `cannot write ${out}: ${errorMessage(error)}`);
}
const { width, height, timings } = result;
process.stdout.write(`${JSON.stringify({ out, width, height, coldStartMs: Math.round(performance.now()), timings })}\n`);
await remover.release();
