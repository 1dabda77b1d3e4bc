/**
 * `npm run bench:compose`: the same sample listings through `npm start` and through
 * `docker compose up`, on this machine, both stacks up side by side and every measurement
 * alternating between them (so a busy machine slows both alike). After a warm-up of each (one
 * listing per concurrency slot, which pays the model load), each round takes one listing alone (the
 * single-photo time), then every listing at once. Prints import → completed per listing, the medians
 * and their ratio, and how long the batch took against ⌈N / concurrency⌉ × single-photo time + 20 %.
 *
 *   npm run bench:compose [-- --rounds 3]
 *
 * Needs a Docker engine and the pinned images (see docs/compose.md); says so and exits 2 otherwise.
 */
import { spawn } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { loadManifest, repoRoot } from "@bluemoxon/core";
import { fixtureListingUrls } from "@bluemoxon/ebay-fixture";
import { composeSkipReason, startComposeStack } from "../tests/support/compose-stack.ts";
import { startStack } from "../tests/support/stack.ts";
import { median } from "./lib/stats.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" } }, strict: true });
const rounds = Math.max(1, Number(values.rounds));
const manifest = loadManifest();
const worker = Object.values(manifest.functions).find((f) => f.service === "worker")!;
const concurrency = worker.maximumConcurrency;

interface Result {
  url: string;
  ok: boolean;
  latencyMs?: number;
  error?: string;
}

/** scripts/e2e.mjs against a running stack; its --json line is the result. */
function e2e(api: string, apiKey: string, listings: string[]): Promise<Result[]> {
  return new Promise((resolve, reject) => {
    const args = [
      `${repoRoot}/node_modules/zx/build/cli.js`,
      `${repoRoot}/scripts/e2e.mjs`,
      "--api",
      api,
      "--api-key",
      apiKey,
      "--json",
      "--timeout",
      "900",
    ];
    for (const l of listings) args.push("--listing", l);
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: { ...process.env, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", () => {
      const line = out.split("\n").findLast((l) => l.startsWith("["));
      if (!line) reject(new Error(`e2e printed no results:\n${out.slice(-3000)}`));
      else resolve(JSON.parse(line) as Result[]);
    });
  });
}

const sec = (ms: number) => (ms / 1000).toFixed(1);

/** The eBay fixture's sample listings, as scripts/e2e.mjs finds them. */
const listings = fixtureListingUrls();

interface Measured {
  singles: number[];
  batch: Result[][];
}

async function single(api: string, apiKey: string): Promise<number> {
  const [one] = await e2e(api, apiKey, listings.slice(0, 1));
  if (!one.ok) throw new Error(`single listing failed: ${one.error}`);
  return one.latencyMs!;
}

async function all(api: string, apiKey: string): Promise<Result[]> {
  const results = await e2e(api, apiKey, listings);
  const failed = results.filter((x) => !x.ok);
  if (failed.length) throw new Error(`batch failed: ${failed.map((f) => f.error).join("; ")}`);
  return results;
}

const problem = await composeSkipReason();
if (problem) {
  console.error(`bench:compose needs Docker: ${problem}`);
  process.exit(2);
}

console.log(
  `bench:compose — ${listings.length} listings, worker maximumConcurrency ${concurrency}, batchSize ${worker.batchSize}, ${rounds} round(s), both stacks up, measured alternately\n`,
);
// Both stacks run side by side and every measurement alternates between them (the first one
// alternating too), so a busy machine slows both alike: the ratio is what this bench is for.
const local = await startStack({ timeoutMs: 180_000 });
const compose = await startComposeStack({ project: "bluemoxon-compose-bench" }).catch(async (error) => {
  await local.stop();
  throw error;
});
const stacks = [
  { name: "npm start", api: local.api, apiKey: local.apiKey },
  { name: "compose", api: compose.api, apiKey: compose.apiKey },
] as const;
const measured: Record<string, Measured> = { "npm start": { singles: [], batch: [] }, compose: { singles: [], batch: [] } };
try {
  // Warm every slot of both (pays the model load in each warm child).
  for (const s of stacks) await e2e(s.api, s.apiKey, listings.slice(0, concurrency));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? stacks : [...stacks].reverse();
    for (const s of order) measured[s.name].singles.push(await single(s.api, s.apiKey));
    for (const s of order) measured[s.name].batch.push(await all(s.api, s.apiKey));
  }
} finally {
  await Promise.all([local.stop(), compose.stop()]);
}
const npmStart = { single: median(measured["npm start"].singles), batch: measured["npm start"].batch };
const composed = { single: median(measured.compose.singles), batch: measured.compose.batch };

console.log("| listing | npm start | compose | ratio |");
console.log("|---|---:|---:|---:|");
console.log(
  `| one alone (median of ${rounds}) | ${sec(npmStart.single)} s | ${sec(composed.single)} s | ${(composed.single / npmStart.single).toFixed(2)}× |`,
);
const perListing = (m: typeof npmStart, url: string) => median(m.batch.map((b) => b.find((x) => x.url === url)!.latencyMs!));
const localAll: number[] = [];
const composeAll: number[] = [];
for (const url of listings) {
  const a = perListing(npmStart, url);
  const b = perListing(composed, url);
  localAll.push(a);
  composeAll.push(b);
  console.log(`| ${url.split("/").pop()} (all at once) | ${sec(a)} s | ${sec(b)} s | ${(b / a).toFixed(2)}× |`);
}
console.log(
  `| **median** | ${sec(median(localAll))} s | ${sec(median(composeAll))} s | **${(median(composeAll) / median(localAll)).toFixed(2)}×** (aim ≤ 1.5×) |`,
);

console.log("\n| stack | single photo (warm) | all N at once (slowest) | bound ⌈N/c⌉ × single × 1.2 | within |");
console.log("|---|---:|---:|---:|---|");
for (const [name, m] of [
  ["npm start", npmStart],
  ["compose", composed],
] as const) {
  const total = median(m.batch.map((b) => Math.max(...b.map((x) => x.latencyMs!))));
  const bound = Math.ceil(listings.length / concurrency) * m.single * 1.2;
  console.log(`| ${name} | ${sec(m.single)} s | ${sec(total)} s | ${sec(bound)} s | ${total <= bound ? "yes" : "no"} |`);
}
console.log(`\nload average (1 min) at the end: ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`);
console.log(`compose: ${compose.timings.map(([l, ms]) => `${l} ${sec(ms)} s`).join(", ")}`);
