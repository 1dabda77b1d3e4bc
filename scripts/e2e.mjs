#!/usr/bin/env zx
/**
 * The whole flow against a target: import listings, wait for each primary photo's background
 * removal, download the cut-out and check it (PNG, RGBA, corners transparent, centre opaque).
 *
 *   zx scripts/e2e.mjs                                  # starts its own stack on free ports, stops it after
 *   zx scripts/e2e.mjs --api http://localhost:3000 --api-key KEY [--listing URL ...]
 *
 * Options: --listing URL (repeatable; default: the eBay fixture's sample listings),
 * --timeout SECONDS per listing (default 180), --json (print the results as JSON too).
 * Exits non-zero when any listing fails.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { argv, chalk } from "zx";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const listArg = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const timeoutMs = Number(argv.timeout ?? 180) * 1000;

function sampleListings() {
  const dir = join(root, "services/ebay-fixture/fixtures");
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, "listing.json")))
    .sort()
    .map((id) => `https://www.ebay.com/itm/${id}`);
}

async function startOwnStack() {
  const dataDir = mkdtempSync(join(tmpdir(), "bmx-e2e-"));
  const child = spawn(process.execPath, [join(root, "node_modules/zx/build/cli.js"), join(root, "scripts/dev.mjs")], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir, PORT: "0", EMULATOR_PORT: "0", EBAY_FIXTURE_PORT: "0", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const started = Date.now();
  console.log(chalk.dim("starting an embedded stack (npm start)…"));
  while (!/^ready /m.test(out)) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${out}`);
    if (Date.now() - started > 120_000) {
      child.kill("SIGTERM");
      throw new Error(`npm start did not become ready in 120 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stack = JSON.parse(readFileSync(join(dataDir, "stack.json"), "utf8"));
  console.log(chalk.dim(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)}s at ${stack.api} (data: ${dataDir})`));
  return {
    api: stack.api,
    apiKey: stack.apiKey,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function client(api, apiKey) {
  return async function call(method, path, body) {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { "X-API-Key": apiKey, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${json?.detail ?? json?.title ?? text.slice(0, 200)}`);
    return { status: res.status, body: json };
  };
}

/** Checks the cut-out the way a person would look at it: a PNG with transparency around an opaque book. */
async function checkCutout(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`downloading the cut-out failed: HTTP ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const meta = await sharp(bytes).metadata();
  if (meta.format !== "png") throw new Error(`cut-out is ${meta.format}, not PNG`);
  if (meta.channels !== 4) throw new Error(`cut-out has ${meta.channels} channels, not RGBA`);
  const { data, info } = await sharp(bytes).ensureAlpha().extractChannel(3).raw().toBuffer({ resolveWithObject: true });
  const alpha = (fx, fy) =>
    data[Math.min(info.height - 1, Math.floor(fy * info.height)) * info.width + Math.min(info.width - 1, Math.floor(fx * info.width))];
  const corners = [alpha(0.01, 0.01), alpha(0.99, 0.01), alpha(0.01, 0.99), alpha(0.99, 0.99)];
  if (corners.some((a) => a > 32)) throw new Error(`cut-out corners are not transparent (alpha ${corners.join(", ")})`);
  if (alpha(0.5, 0.5) < 224) throw new Error(`cut-out centre is not opaque (alpha ${alpha(0.5, 0.5)})`);
  return { width: meta.width, height: meta.height, bytes: bytes.length };
}

async function runListing(call, url, onProgress) {
  const started = Date.now();
  const imported = await call("POST", "/api/v1/books/import/ebay", { url });
  const book = imported.body.book;
  const primary = book.photos.find((p) => p.isPrimary);
  if (!primary) throw new Error(`no photo of the listing could be copied: ${book.photos.map((p) => p.copyError).join("; ")}`);
  let jobId = imported.body.job?.id ?? primary.processing?.jobId;
  if (imported.status === 200) {
    // Imported before (a stack that keeps its data): process the photo again to measure a fresh run.
    const again = await call("POST", `/api/v1/books/${book.id}/images/${primary.id}/process`);
    jobId = again.body.id ?? again.body.job?.id;
  }
  if (!jobId) throw new Error("the import queued no job for the primary photo");
  let job;
  for (;;) {
    job = (await call("GET", `/api/v1/image-jobs/${jobId}`)).body;
    onProgress(job.status);
    if (job.status === "completed" || job.status === "failed") break;
    if (Date.now() - started > timeoutMs) throw new Error(`job ${jobId} still ${job.status} after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const latencyMs = Date.now() - started;
  if (job.status === "failed") throw new Error(`job ${jobId} failed: ${job.lastError}`);
  const fresh = (await call("GET", `/api/v1/books/${book.id}`)).body;
  const photo = fresh.photos.find((p) => p.id === primary.id);
  if (!photo?.processedUrl) throw new Error("the completed photo has no processed URL");
  const cutout = await checkCutout(photo.processedUrl);
  return { title: book.title, bookId: book.id, jobId, latencyMs, attempts: job.attempts, ...cutout };
}

const listings = listArg(argv.listing).length ? listArg(argv.listing) : sampleListings();
const own = argv.api ? undefined : await startOwnStack();
const api = argv.api ?? own.api;
const apiKey = argv["api-key"] ?? process.env.API_KEY ?? own?.apiKey;
if (!apiKey) {
  console.error("--api-key (or API_KEY) is required with --api");
  process.exit(2);
}
const call = client(api.replace(/\/$/, ""), apiKey);

const results = [];
const status = new Map(listings.map((l) => [l, "importing"]));
const render = () => [...status].map(([l, s]) => `${l.split("/").pop()}: ${s}`).join("  ");
// Progress: one rewritten line on a terminal, a line per change otherwise (CI logs).
let last = "";
const progress = setInterval(() => {
  const line = `e2e ${render()}`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line.padEnd(last.length)}`);
  else if (line !== last) console.log(line);
  last = line;
}, 500);
try {
  await Promise.all(
    listings.map(async (url) => {
      try {
        const r = await runListing(call, url, (s) => status.set(url, s));
        status.set(url, "ok");
        results.push({ url, ok: true, ...r });
      } catch (error) {
        status.set(url, "FAILED");
        results.push({ url, ok: false, error: error.message });
      }
    }),
  );
} finally {
  clearInterval(progress);
  if (process.stdout.isTTY) process.stdout.write("\n");
  await own?.stop();
}

results.sort((a, b) => listings.indexOf(a.url) - listings.indexOf(b.url));
console.log("\n| listing | result | import → completed | attempts | cut-out |");
console.log("|---|---|---:|---:|---|");
for (const r of results) {
  console.log(
    r.ok
      ? `| ${r.url.split("/").pop()} | ok | ${(r.latencyMs / 1000).toFixed(1)} s | ${r.attempts} | ${r.width}×${r.height} PNG RGBA, ${(r.bytes / 1024).toFixed(0)} KiB |`
      : `| ${r.url.split("/").pop()} | ${chalk.red("FAILED")} | | | ${r.error} |`,
  );
}
const ok = results.filter((r) => r.ok);
if (ok.length) {
  const sorted = ok.map((r) => r.latencyMs).sort((a, b) => a - b);
  console.log(`\nmedian import → completed: ${(sorted[Math.floor(sorted.length / 2)] / 1000).toFixed(1)} s over ${ok.length} listing(s)`);
}
if (argv.json) console.log(JSON.stringify(results));
const failed = listings.length - ok.length;
if (!listings.length) console.log(chalk.red("e2e: no listings to run"));
console.log(
  failed || !listings.length ? chalk.red(`e2e: ${failed} of ${listings.length} failed`) : chalk.green(`e2e: all ${listings.length} passed`),
);
process.exit(failed || !listings.length ? 1 : 0);
