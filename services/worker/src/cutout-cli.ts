/**
 * `node /var/task/cutout.mjs <photo> <out.png>` in the worker image, or
 * `npx tsx services/worker/src/cutout-cli.ts <photo> <out.png>` in the repository: the worker's
 * engine on one file, configured by the same `BG_*` variables as the handler (and threads from
 * `BG_THREADS`, else `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` when set, as on Lambda). For seeing what the deployed engine
 * makes of a photo without a queue, a bucket or a database, and for timing a cold start: process
 * start → first cut-out is the `coldStartMs` it prints (scripts/bench-worker-cold.ts).
 *
 * The photo is decoded and the output folder checked before the model loads, so a bad photo or a
 * bad path costs no model load; the cut-out is written to a temporary name and renamed, so a
 * failure leaves no file. Prints one JSON line on success: `{ out, width, height, coldStartMs, timings }`.
 * Exits 1 when the photo cannot be read or is refused (the message says why) or the output cannot
 * be written, 2 on a bad command line, 70 when the engine fails, 78 on a bad configuration (naming
 * the variable).
 *
 * @example
 * docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/w" --entrypoint node bluemoxon-worker /var/task/cutout.mjs /w/book.jpg /w/book.png
 */
import { accessSync, constants, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { errorMessage, loadConfig, PermanentJobError } from "@bluemoxon/core";
import { createBackgroundRemover, defaultThreads } from "./background/background-remover.ts";
import { decodeImage } from "./background/decode-image.ts";
import { engineConfigSchema, engineOptions } from "./worker-config.ts";

const usage = `usage: cutout <photo> <out.png>

Removes the background of one photo with the worker's engine and writes the cut-out (RGBA PNG).
Environment: BG_MODEL, BG_MODEL_DIR, BG_MEMORY_ARENA, BG_TRIM_PADDING, BG_MAX_OUTPUT_EDGE,
MAX_INPUT_PIXELS, BG_THREADS, AWS_LAMBDA_FUNCTION_MEMORY_SIZE (see services/worker/README.md).`;

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
let threads: number;
try {
  config = engineOptions(loadConfig(engineConfigSchema));
  // BG_THREADS is checked with the rest of the configuration, before any photo or model is read.
  threads = defaultThreads();
} catch (error) {
  fail(78, errorMessage(error));
}

let bytes: Buffer;
try {
  bytes = readFileSync(photo);
} catch (error) {
  fail(1, `cannot read ${photo}: ${errorMessage(error)}`);
}
try {
  accessSync(dirname(resolve(out)), constants.W_OK);
} catch (error) {
  fail(1, `cannot write ${out}: ${errorMessage(error)}`);
}

const decodeStarted = performance.now();
let image: Awaited<ReturnType<typeof decodeImage>>;
try {
  image = await decodeImage(bytes, config.limits);
} catch (error) {
  fail(error instanceof PermanentJobError ? 1 : 70, `${photo}: ${errorMessage(error)}`);
}
const decode = performance.now() - decodeStarted;

let remover: Awaited<ReturnType<typeof createBackgroundRemover>>;
try {
  remover = await createBackgroundRemover({ ...config.remover, threads });
} catch (error) {
  fail(
    1,
    `cannot load the ${config.remover.model} model${config.remover.modelDir ? ` from BG_MODEL_DIR=${config.remover.modelDir}` : ""}: ${errorMessage(error)}`,
  );
}
let result: Awaited<ReturnType<typeof remover.removeDecoded>>;
try {
  result = await remover.removeDecoded(image, config.output);
} catch (error) {
  fail(70, `background removal of ${photo} failed: ${errorMessage(error)}`);
}
const partial = `${out}.${process.pid}.partial`;
try {
  writeFileSync(partial, result.png);
  renameSync(partial, out);
} catch (error) {
  rmSync(partial, { force: true });
  fail(1, `cannot write ${out}: ${errorMessage(error)}`);
}
const { width, height, timings } = result;
const line = { out, width, height, coldStartMs: Math.round(performance.now()), timings: { ...timings, decode } };
process.stdout.write(`${JSON.stringify(line)}\n`);
await remover.release();
