/**
 * `npm run bench:worker-e2e`: what `npm start` adds around the model. The eBay fixture's sample
 * listings are imported through the running stack (import → the job's `completedAt`),
 * and the same primary photos go through the engine in this process, configured as the stack's
 * worker is (threads from the function's memory, `defaultThreads()`), alternating with the stack's
 * runs so a busy machine slows both alike. Then `--batch` photos queued at once (the sample listings
 * repeated under new item ids in a temporary fixture folder, so each is a new book and job), against
 * the throughput ceiling `cores ÷ engine CPU-seconds per photo`. A batch of only the four samples
 * mostly measures its own tail: with two slots, the last photo runs alone on one core.
 *
 *   npm run bench:worker-e2e [-- --rounds 3 --batch 16]
 *
 * Targets (issue 14): p50 import → completed ≤ engine time + 1 s; all at once, throughput within
 * 15 % of the ceiling.
 */
import { execFileSync, fork } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadManifest } from "@bluemoxon/core";
import { defaultFixturesDir, fixtureItemIds, listingUrl } from "@bluemoxon/ebay-fixture";
import { createBackgroundRemover, defaultThreads } from "../services/worker/src/index.ts";
import { startStack } from "../tests/support/stack.ts";
import { positiveInt } from "./dev/parse-cli.ts";
import { median } from "./lib/stats.ts";

// biome-ignore lint/suspicious/noExplicitAny: loose reads of the API's and fixtures' JSON in a benchmark script
type Json = Record<string, unknown> & { [key: string]: any };

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "2" },
    batch: { type: "string", default: "12" },
    engine: { type: "boolean", default: false },
  },
  strict: true,
});
const rounds = positiveInt("rounds", values.rounds);
const worker = Object.values(loadManifest().functions).find((f) => f.service === "worker");
if (!worker) throw new Error("pipeline.json has no worker function");
const cores = availableParallelism();

const fixtures = defaultFixturesDir;
const listings = fixtureItemIds(fixtures).flatMap((id) => {
  try {
    const listing = JSON.parse(readFileSync(join(fixtures, id, "listing.json"), "utf8")) as Json;
    return [{ id, url: listingUrl(id), photo: readFileSync(join(fixtures, id, listing.image.imageUrl)) }];
  } catch {
    return [];
  }
});

const sec = (ms: number) => (ms / 1000).toFixed(2);

const threads = defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(worker.memoryMb) });

if (values.engine) {
  // The engine alone, in its own process: photo index in, { ms, cpuMs } out.
  const remover = await createBackgroundRemover({ threads });
  process.on("message", async (index: number) => {
    if (index < 0) process.exit(0);
    const cpu = process.cpuUsage();
    const t = performance.now();
    await remover.remove(listings[index].photo);
    const ms = performance.now() - t;
    const used = process.cpuUsage(cpu);
    process.send?.({ ms, cpuMs: (used.user + used.system) / 1000 });
  });
  process.send?.("ready");
  await new Promise(() => {});
}

// The batch: the samples, then copies of them under new item ids (same photos, new books); never
// fewer than the samples, which the single runs use.
const batchSize = Math.max(listings.length, positiveInt("batch", values.batch));
const batchDir = mkdtempSync(join(tmpdir(), "bench-worker-e2e-fixtures-"));
const batchUrls = Array.from({ length: batchSize }, (_, i) => {
  const source = listings[i % listings.length];
  const id = i < listings.length ? source.id : `9${String(i).padStart(4, "0")}${source.id.slice(5)}`;
  cpSync(join(fixtures, source.id), join(batchDir, id), { recursive: true });
  const listing = JSON.parse(readFileSync(join(batchDir, id, "listing.json"), "utf8")) as Json;
  writeFileSync(join(batchDir, id, "listing.json"), JSON.stringify({ ...listing, legacyItemId: id }));
  return listingUrl(id);
});

console.error("starting npm start …");
// Timing uses the jobs' completedAt: the database's clock, this machine's for PGlite (and for a
// DATABASE_URL here; one on another host would need its clock in step).
const stack = await startStack({ timeoutMs: 180_000, env: { EBAY_FIXTURE_DIR: batchDir } }).catch((error) => {
  rmSync(batchDir, { recursive: true, force: true });
  throw error;
});
// Detached, as npm start's supervisor starts each service: its own session, so its own scheduler
// autogroup (Linux), like the stack's worker — sharing this process's group would starve it.
const child = fork(fileURLToPath(import.meta.url), ["--engine"], {
  detached: true,
  execArgv: ["--import", "tsx"],
  env: { ...process.env, NODE_NO_WARNINGS: "1" },
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const reply = <T>() =>
  new Promise<T>((resolve, reject) => {
    child.once("message", (m) => resolve(m as T));
    child.once("exit", (code) => reject(new Error(`engine process exited with ${code}`)));
  });
await reply<string>();

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${stack.api}${path}`, {
    method,
    headers: { "X-API-Key": stack.apiKey, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json().catch(() => ({}))) as Json;
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${json.detail ?? json.title ?? ""}`);
  return { status: res.status, body: json };
}

/**
 * Import (or, once imported, re-process) a listing's primary photo; ms from the request until the
 * job's own `completedAt` (the same machine's clock), so how often this polls changes nothing but
 * the load it adds: a batch polls each job every 500 ms, not 50.
 */
async function importToCompleted(url: string, pollMs = 50): Promise<number> {
  const started = Date.now();
  const imported = await call("POST", "/api/v1/books/import/ebay", { url });
  const book = imported.body.book;
  const primary = book.photos.find((p: Json) => p.isPrimary);
  if (!primary) throw new Error(`${url}: no primary photo`);
  let jobId = imported.body.job?.id ?? primary.processing?.jobId;
  if (imported.status === 200) {
    const again = await call("POST", `/api/v1/books/${book.id}/images/${primary.id}/process`);
    jobId = again.body.id ?? again.body.job?.id;
  }
  for (;;) {
    const job = (await call("GET", `/api/v1/image-jobs/${jobId}`)).body;
    if (job.status === "completed") return Date.parse(job.completedAt) - started;
    if (job.status === "failed") throw new Error(`${url}: job failed: ${job.lastError}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function engine(index: number): Promise<{ ms: number; cpuMs: number }> {
  const answer = reply<{ ms: number; cpuMs: number }>();
  child.send(index);
  return answer;
}

const single: Record<string, number[]> = Object.fromEntries(listings.map((l) => [l.id, []]));
const alone: Record<string, { ms: number; cpuMs: number }[]> = Object.fromEntries(listings.map((l) => [l.id, []]));
const batches: number[] = [];
const ticksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();
/**
 * CPU seconds of each of the stack's process groups (a service and its children), from /proc
 * (Linux; elsewhere nothing). Counts processes alive at the reading: a child that exits during a
 * batch takes its CPU with it (none does in a healthy run: the handler processes stay warm).
 */
function stackCpu(): Record<string, number> {
  const groups = new Map(Object.entries(stack.pids).map(([name, pid]) => [pid, name]));
  const cpu: Record<string, number> = Object.fromEntries([...groups.values()].map((name) => [name, 0]));
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return {};
  }
  for (const pid of pids) {
    try {
      // Fields after the command's closing parenthesis: state ppid pgrp … utime(14) stime(15), in ticks.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const name = groups.get(Number(f[2]));
      if (name) cpu[name] += (Number(f[11]) + Number(f[12])) / ticksPerSecond;
    } catch {}
  }
  return cpu;
}
const batchCpu: Record<string, number>[] = [];
try {
  // Warm-up: the whole batch imported once, all at once (each concurrency slot loads the model);
  // the measured rounds then re-process, so every round has the same shape.
  console.error("warm-up …");
  await Promise.all(batchUrls.map((url) => importToCompleted(url, 500)));
  await engine(0);
  for (let r = 0; r < rounds; r++) {
    for (const [i, l] of listings.entries()) {
      console.error(`round ${r + 1}/${rounds}: ${l.id}`);
      // Alternate which goes first.
      const runs = [async () => single[l.id].push(await importToCompleted(l.url)), async () => alone[l.id].push(await engine(i))];
      if ((i + r) % 2) runs.reverse();
      for (const run of runs) await run();
    }
    console.error(`round ${r + 1}/${rounds}: ${batchUrls.length} at once`);
    // Until the last job completed: each result is measured from its own start, all within ms of t.
    const cpuBefore = stackCpu();
    const t = Date.now();
    const done = await Promise.all(batchUrls.map(async (url) => Date.now() - t + (await importToCompleted(url, 500))));
    batches.push(Math.max(...done));
    const cpuAfter = stackCpu();
    batchCpu.push(Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, (cpuAfter[k] - (cpuBefore[k] ?? 0)) / batchUrls.length])));
  }
} finally {
  child.send(-1);
  await stack.stop();
  rmSync(batchDir, { recursive: true, force: true });
}

const lines = [
  `${listings.length} listings, ${rounds} round(s); worker: ${worker.memoryMb} MB → ${threads} intra-op thread(s), maximumConcurrency ${worker.maximumConcurrency}, batchSize ${worker.batchSize}; ${cores} cores; node ${process.version}`,
  "",
  "| photo | import → completed (median) | engine alone (median) | difference | engine CPU ms |",
  "|---|---:|---:|---:|---:|",
];
const allSingle: number[] = [];
const allEngine: number[] = [];
const allCpu: number[] = [];
for (const l of listings) {
  const s = median(single[l.id]);
  const e = median(alone[l.id].map((x) => x.ms));
  allSingle.push(...single[l.id]);
  allEngine.push(...alone[l.id].map((x) => x.ms));
  allCpu.push(...alone[l.id].map((x) => x.cpuMs));
  lines.push(`| ${l.id} | ${sec(s)} s | ${sec(e)} s | ${sec(s - e)} s | ${median(alone[l.id].map((x) => x.cpuMs)).toFixed(0)} |`);
}
const p50 = median(allSingle);
const engineP50 = median(allEngine);
lines.push(
  `| **p50, all photos** | **${sec(p50)} s** | **${sec(engineP50)} s** | **${sec(p50 - engineP50)} s** (aim ≤ 1 s: ${p50 <= engineP50 + 1000 ? "met" : "not met"}) | ${median(allCpu).toFixed(0)} |`,
);
const cpuS = median(allCpu) / 1000;
const ceiling = cores / cpuS;
const batch = median(batches);
const throughput = batchUrls.length / (batch / 1000);
// What the slots would do if each ran as fast as one photo alone did in this run (a busy machine's
// ceiling; the ceiling above assumes idle cores).
const sameRun = Math.min(cores, worker.maximumConcurrency) / (p50 / 1000);
lines.push(
  "",
  "| all at once | batch wall time (median) | throughput | ceiling: cores ÷ engine CPU-s per photo | ratio | same run: slots ÷ one photo's import → completed | ratio |",
  "|---|---:|---:|---:|---:|---:|---:|",
  `| ${batchUrls.length} photos | ${sec(batch)} s | ${(throughput * 60).toFixed(1)} photos/min | ${(ceiling * 60).toFixed(1)} photos/min | ${(throughput / ceiling).toFixed(2)} (aim ≥ 0.85: ${throughput >= 0.85 * ceiling ? "met" : "not met"}) | ${(sameRun * 60).toFixed(1)} photos/min | ${(throughput / sameRun).toFixed(2)} |`,
  "",
  "CPU seconds per photo during the batches (median), by npm start's process group; the worker's handler processes run in the local AWS's group:",
  "",
  `| ${Object.keys(batchCpu[0] ?? {}).join(" | ")} | all | engine alone |`,
  `|${Object.keys(batchCpu[0] ?? {})
    .map(() => "---:")
    .join("|")}|---:|---:|`,
  `| ${Object.keys(batchCpu[0] ?? {})
    .map((k) => median(batchCpu.map((b) => b[k])).toFixed(2))
    .join(" | ")} | ${median(batchCpu.map((b) => Object.values(b).reduce((a, x) => a + x, 0))).toFixed(2)} | ${cpuS.toFixed(2)} |`,
  "",
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(" / ")} (1 / 5 / 15 min) on ${cores} cores`,
);
console.log(lines.join("\n"));
