/**
 * `npm run bench:api`: the API under concurrent clients for a fixed time, against an embedded
 * stack started like `npm start` (free ports, temp data folder, PGlite unless DATABASE_URL).
 *
 * Two autocannon runs at once — imports of fresh listings (fixture listings generated with
 * sharp, one photo each: eBay lookup + photo copy to S3 + DB + SQS send per request) and reads
 * (book list, book detail, job list, health) — while the API's RSS is sampled every second.
 * The worker trigger is off so the model does not compete for the CPU; jobs just queue.
 * Prints a table of throughput, latency percentiles, status classes and errors, and the RSS
 * over the run; exits non-zero on any 5xx or connection error, or RSS growing after warm-up.
 *
 * Env: BENCH_SECONDS (60), BENCH_IMPORT_CONNECTIONS (4), BENCH_READ_CONNECTIONS (16),
 * BENCH_LISTINGS (4000), DATABASE_URL (optional), BENCH_RSS_GROWTH_MB (25).
 */

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { startStack } from "../tests/support/stack.ts";

const env = process.env;
const seconds = Number(env.BENCH_SECONDS ?? 60);
const importConnections = Number(env.BENCH_IMPORT_CONNECTIONS ?? 4);
const readConnections = Number(env.BENCH_READ_CONNECTIONS ?? 16);
const listingCount = Number(env.BENCH_LISTINGS ?? 4000);
const rssGrowthLimitMb = Number(env.BENCH_RSS_GROWTH_MB ?? 25);

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function writeListings(dir: string): Promise<string[]> {
  const photo = await sharp({ create: { width: 160, height: 120, channels: 3, background: "#6b3e26" } })
    .jpeg()
    .toBuffer();
  const ids: string[] = [];
  for (let i = 0; i < listingCount; i++) {
    const id = String(720_000_000_000 + i);
    mkdirSync(join(dir, id));
    writeFileSync(join(dir, id, "photo-1.jpg"), photo);
    writeFileSync(
      join(dir, id, "listing.json"),
      JSON.stringify({
        legacyItemId: id,
        title: `Bench book ${i}`,
        price: { value: "10.00", currency: "USD" },
        condition: "Used",
        seller: { username: "bench" },
        image: { imageUrl: "photo-1.jpg" },
      }),
    );
    ids.push(id);
  }
  return ids;
}

/** The part of autocannon's API used here (the package ships no types). */
interface Histogram {
  average: number;
  total: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}
interface RequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: RequestSpec) => RequestSpec;
}
interface Result {
  requests: Histogram;
  latency: Histogram;
  errors: number;
  timeouts: number;
  statusCodeStats?: Record<string, { count: number }>;
  "5xx"?: number;
}
const autocannon = createRequire(import.meta.url)("autocannon") as (options: {
  url: string;
  connections: number;
  duration: number;
  requests: RequestSpec[];
}) => Promise<Result>;

function row(name: string, r: Result): string {
  const total = r.requests.total;
  const classes = Object.entries(r.statusCodeStats ?? {})
    .map(([code, s]) => `${code}×${s.count}`)
    .join(" ");
  return `| ${name} | ${total} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} | ${r.latency.p90} | ${r.latency.p99} | ${r.latency.max} | ${classes} | ${r["5xx"] ?? 0} | ${r.errors} | ${r.timeouts} |`;
}

const fixtureDir = mkdtempSync(join(tmpdir(), "bmx-bench-listings-"));
console.log(`bench:api: writing ${listingCount} listings…`);
const ids = await writeListings(fixtureDir);
const stack = await startStack({
  env: {
    EBAY_FIXTURE_DIR: fixtureDir,
    LOCAL_AWS_TRIGGERS: "off",
    LOG_LEVEL: "warn",
    // No sweep during the run: it would only re-send jobs nobody consumes.
    RETRY_SWEEP_INTERVAL_SECONDS: "0",
    ...(env.DATABASE_URL ? { DATABASE_URL: env.DATABASE_URL } : {}),
  },
});
let failed = false;
try {
  const headers = { "x-api-key": stack.apiKey, "content-type": "application/json" };
  // A few books to read from the start.
  const seeded: string[] = [];
  for (const id of ids.slice(0, 5)) {
    const res = await fetch(`${stack.api}/api/v1/books/import/ebay`, { method: "POST", headers, body: JSON.stringify({ url: id }) });
    seeded.push(((await res.json()) as { book: { id: string } }).book.id);
  }
  let next = 5;
  const apiPid = stack.pids.api;
  const samples: { t: number; mb: number }[] = [];
  const started = Date.now();
  const sampler = setInterval(() => samples.push({ t: (Date.now() - started) / 1000, mb: rssMb(apiPid) }), 1000);
  samples.push({ t: 0, mb: rssMb(apiPid) });

  console.log(`bench:api: ${seconds}s, ${importConnections} import + ${readConnections} read connections against ${stack.api}`);
  const [imports, reads] = await Promise.all([
    autocannon({
      url: stack.api,
      connections: importConnections,
      duration: seconds,
      requests: [
        {
          method: "POST",
          path: "/api/v1/books/import/ebay",
          headers,
          // A new listing per request while they last, then re-imports (the 200 "already there" path).
          setupRequest: (req) => ({ ...req, body: JSON.stringify({ url: `https://www.ebay.com/itm/${ids[next++ % ids.length]}` }) }),
        },
      ],
    }),
    autocannon({
      url: stack.api,
      connections: readConnections,
      duration: seconds,
      requests: [
        { method: "GET", path: "/api/v1/books?limit=20", headers },
        { method: "GET", path: `/api/v1/books/${seeded[0]}`, headers },
        { method: "GET", path: "/api/v1/image-jobs?limit=50&status=queued", headers },
        { method: "GET", path: "/health" },
      ],
    }),
  ]);
  clearInterval(sampler);
  samples.push({ t: (Date.now() - started) / 1000, mb: rssMb(apiPid) });

  console.log("\n| scenario | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | status codes | 5xx | errors | timeouts |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  console.log(row(`import (${importConnections} conn)`, imports));
  console.log(row(`reads (${readConnections} conn: list, detail, jobs, health)`, reads));

  // RSS: V8 grows its heap for the first ~30 s under load, then holds; "flat" means the second
  // half of the run adds little (a leak keeps climbing at the rate of the first half).
  const warm = samples.filter((s) => s.t >= seconds / 2);
  const warmStart = warm.length ? Math.min(...warm.slice(0, 3).map((s) => s.mb)) : samples[0].mb;
  const end = samples.at(-1)!.mb;
  const peak = Math.max(...samples.map((s) => s.mb));
  const growth = end - warmStart;
  console.log(
    `\nAPI RSS (MB): start ${samples[0].mb.toFixed(0)}, after warm-up ${warmStart.toFixed(0)}, peak ${peak.toFixed(0)}, end ${end.toFixed(0)} — growth after warm-up ${growth.toFixed(1)} MB over ${samples.length} samples`,
  );
  console.log(`RSS samples: ${samples.map((s) => s.mb.toFixed(0)).join(" ")}`);
  console.log(`imported ${Math.min(next, ids.length) - 5} new listings during the run`);

  const fivexx = (imports["5xx"] ?? 0) + (reads["5xx"] ?? 0);
  const errors = imports.errors + reads.errors;
  if (fivexx > 0 || errors > 0) {
    console.error(`bench:api: FAILED — ${fivexx} 5xx answers and ${errors} connection errors (none are injected in this run)`);
    failed = true;
  }
  if (growth > rssGrowthLimitMb) {
    console.error(`bench:api: FAILED — RSS grew ${growth.toFixed(1)} MB after warm-up (limit ${rssGrowthLimitMb} MB)`);
    failed = true;
  }
} finally {
  await stack.stop();
  rmSync(fixtureDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
