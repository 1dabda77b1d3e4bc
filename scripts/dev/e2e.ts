/**
 * The whole flow against a target: import listings, wait for each primary photo's background
 * removal, download the cut-out and check it (PNG, RGBA, corners transparent, centre opaque).
 *
 *   zx scripts/e2e.mjs                                  # starts its own stack on free ports, stops it after
 *   zx scripts/e2e.mjs --api http://localhost:3000 --api-key KEY [--listing URL ...]
 *
 * Exits 1 when any listing fails, 2 on a bad command line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixtureListingUrls } from "@bluemoxon/ebay-fixture";
import sharp from "sharp";
import { chalk } from "zx";
import { parseCli } from "./parse-cli.ts";
import { stackRoot, startStack } from "./start-stack.ts";

const usage = `usage: zx scripts/e2e.mjs [--api URL --api-key KEY] [--listing URL ...] [--timeout SECONDS] [--json]

  --api URL         run against this API (default: start an embedded stack on free ports, stop it after)
  --api-key KEY     its API key (or API_KEY); required with --api
  --listing URL     an eBay listing to import (repeatable; default: the eBay fixture's sample listings)
  --timeout SECONDS per listing (default 180)
  --json            print the results as one JSON line too`;

// biome-ignore lint/suspicious/noExplicitAny: API responses are read field by field and checked as they are used.
type Json = Record<string, any>;
type Call = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Json }>;

interface Result {
  url: string;
  ok: boolean;
  error?: string;
  title?: string;
  bookId?: number;
  jobId?: number;
  latencyMs?: number;
  attempts?: number;
  width?: number;
  height?: number;
  bytes?: number;
}

async function startOwnStack() {
  const dataDir = mkdtempSync(join(tmpdir(), "bmx-e2e-"));
  const started = Date.now();
  console.log(chalk.dim("starting an embedded stack (npm start)…"));
  const stack = await startStack({ dataDir, ports: { api: 0, emulator: 0, fixture: 0 }, watch: false, report: (l) => console.error(l) });
  console.log(chalk.dim(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)}s at ${stack.info.api} (data: ${dataDir})`));
  return {
    api: stack.info.api,
    apiKey: stack.info.apiKey,
    async stop() {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function client(api: string, apiKey: string): Call {
  return async (method, path, body) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { "X-API-Key": apiKey, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json: Json | undefined;
    try {
      json = text ? (JSON.parse(text) as Json) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${json?.detail ?? json?.title ?? text.slice(0, 200)}`);
    return { status: res.status, body: json ?? {} };
  };
}

/** Checks the cut-out the way a person would look at it: a PNG with transparency around an opaque book. */
async function checkCutout(url: string) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`downloading the cut-out failed: HTTP ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const meta = await sharp(bytes).metadata();
  if (meta.format !== "png") throw new Error(`cut-out is ${meta.format}, not PNG`);
  if (meta.channels !== 4) throw new Error(`cut-out has ${meta.channels} channels, not RGBA`);
  const { data, info } = await sharp(bytes).ensureAlpha().extractChannel(3).raw().toBuffer({ resolveWithObject: true });
  const alpha = (fx: number, fy: number) =>
    data[Math.min(info.height - 1, Math.floor(fy * info.height)) * info.width + Math.min(info.width - 1, Math.floor(fx * info.width))];
  const corners = [alpha(0.01, 0.01), alpha(0.99, 0.01), alpha(0.01, 0.99), alpha(0.99, 0.99)];
  if (corners.some((a) => a > 32)) throw new Error(`cut-out corners are not transparent (alpha ${corners.join(", ")})`);
  if (alpha(0.5, 0.5) < 224) throw new Error(`cut-out centre is not opaque (alpha ${alpha(0.5, 0.5)})`);
  return { width: meta.width, height: meta.height, bytes: bytes.length };
}

async function runListing(call: Call, url: string, timeoutMs: number, onProgress: (status: string) => void) {
  const started = Date.now();
  const imported = await call("POST", "/api/v1/books/import/ebay", { url });
  const book = imported.body.book;
  const primary = book.photos.find((p: Json) => p.isPrimary);
  if (!primary) throw new Error(`no photo of the listing could be copied: ${book.photos.map((p: Json) => p.copyError).join("; ")}`);
  let jobId = imported.body.job?.id ?? primary.processing?.jobId;
  if (imported.status === 200) {
    // Imported before (a stack that keeps its data): process the photo again to measure a fresh run.
    const again = await call("POST", `/api/v1/books/${book.id}/images/${primary.id}/process`);
    jobId = again.body.id ?? again.body.job?.id;
  }
  if (!jobId) throw new Error("the import queued no job for the primary photo");
  let job: Json;
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
  const photo = fresh.photos.find((p: Json) => p.id === primary.id);
  if (!photo?.processedUrl) throw new Error("the completed photo has no processed URL");
  const cutout = await checkCutout(photo.processedUrl);
  return { title: book.title, bookId: book.id, jobId, latencyMs, attempts: job.attempts, ...cutout };
}

export async function main(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<never> {
  const flags = parseCli(
    args,
    {
      api: { type: "string" },
      "api-key": { type: "string" },
      listing: { type: "string", multiple: true },
      timeout: { type: "string" },
      json: { type: "boolean" },
    },
    usage,
  );
  const timeoutSeconds = Number(flags.timeout ?? 180);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    console.error(`--timeout must be a positive number of seconds, got "${flags.timeout}"\n\n${usage}`);
    process.exit(2);
  }
  const apiKeyArg = flags["api-key"] ?? env.API_KEY;
  if (flags.api && !apiKeyArg) {
    console.error(`--api-key (or API_KEY) is required with --api\n\n${usage}`);
    process.exit(2);
  }
  const listings = flags.listing?.length ? flags.listing : fixtureListingUrls(join(stackRoot, "services/ebay-fixture/fixtures"));
  const own = flags.api ? undefined : await startOwnStack();
  process.once("SIGINT", () => void own?.stop().then(() => process.exit(130)));
  const api = (flags.api ?? own?.api ?? "").replace(/\/$/, "");
  const call = client(api, apiKeyArg ?? own?.apiKey ?? "");

  const results: Result[] = [];
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
          const r = await runListing(call, url, timeoutSeconds * 1000, (s) => status.set(url, s));
          status.set(url, "ok");
          results.push({ url, ok: true, ...r });
        } catch (error) {
          status.set(url, "FAILED");
          results.push({ url, ok: false, error: (error as Error).message });
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
        ? `| ${r.url.split("/").pop()} | ok | ${((r.latencyMs ?? 0) / 1000).toFixed(1)} s | ${r.attempts} | ${r.width}×${r.height} PNG RGBA, ${((r.bytes ?? 0) / 1024).toFixed(0)} KiB |`
        : `| ${r.url.split("/").pop()} | ${chalk.red("FAILED")} | | | ${r.error} |`,
    );
  }
  const ok = results.filter((r) => r.ok);
  if (ok.length) {
    const sorted = ok.map((r) => r.latencyMs ?? 0).sort((a, b) => a - b);
    console.log(`\nmedian import → completed: ${(sorted[Math.floor(sorted.length / 2)] / 1000).toFixed(1)} s over ${ok.length} listing(s)`);
  }
  if (flags.json) console.log(JSON.stringify(results));
  const failed = listings.length - ok.length;
  if (!listings.length) console.log(chalk.red("e2e: no listings to run"));
  console.log(
    failed || !listings.length
      ? chalk.red(`e2e: ${failed} of ${listings.length} failed`)
      : chalk.green(`e2e: all ${listings.length} passed`),
  );
  process.exit(failed || !listings.length ? 1 : 0);
}
