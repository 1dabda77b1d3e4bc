/**
 * `npm run bench:worker-cold`: cold starts — a new process (or container) → its first cut-out —
 * of the worker's engine against the package's own `removeBackground()`, several times each,
 * interleaved, medians quoted. Every contender is plain JavaScript run by `node` (the engine as the
 * image's esbuild bundle of `cutout-cli.ts`, the package from node_modules), so no transpiler sits
 * in either's start; the same photo for all.
 *
 *   npm run bench:worker-cold [-- --rounds 5] [--image bluemoxon-worker:dev | --no-image] [--photo gradient-2mp.jpg]
 *
 * Contenders, in two groups (ratios are within a group, against the package on the same CPUs):
 * - all cores: the package; the engine as on Lambda (`AWS_LAMBDA_FUNCTION_NAME` set: no graph kept
 *   from an earlier start); the engine with the graph kept for this CPU (npm start, a laptop); the
 *   worker image (`docker run`, a fresh container each time, as a Lambda cold start gets);
 * - one CPU, as a 1769 MB Lambda gets: the package and the engine pinned with `taskset -c 0`, the
 *   image with `--cpuset-cpus 0`, the engine's threads from `AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1769`.
 *
 * "spawn → cut-out" is measured here, from spawning the command to the JSON line it prints once its
 * cut-out is written; "in process" is the contender's own `performance.now()` at that moment (since
 * its process started), so the difference is what `docker run` adds. Without `--image`, the worker
 * image is built first (`docker build`, a few minutes the first time); without a Docker engine the
 * image rows are left out and the reason printed.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "@bluemoxon/core";
import { build } from "esbuild";
import { dockerEngineProblem, run } from "../tests/support/docker.ts";
import { benchPhotos, writeBenchPhotos } from "./bench-worker-photos.ts";
import { positiveInt } from "./dev/parse-cli.ts";
import { median } from "./lib/stats.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    image: { type: "string" },
    "no-image": { type: "boolean", default: false },
    photo: { type: "string", default: "light-plain-2mp.jpg" },
  },
  strict: true,
});
const rounds = positiveInt("rounds", values.rounds);
const photo = benchPhotos.find((p) => p.name === values.photo);
if (!photo) throw new Error(`unknown photo ${values.photo}; known: ${benchPhotos.map((p) => p.name).join(", ")}`);
const cores = availableParallelism();

// Bundles beside node_modules, so their bare imports (sharp, onnxruntime-node, the package) resolve.
const bundles = join(repoRoot, "node_modules/.cache/bench-worker-cold");
mkdirSync(bundles, { recursive: true });
await build({
  entryPoints: { cutout: join(repoRoot, "services/worker/src/cutout-cli.ts") },
  bundle: true,
  platform: "node",
  target: `node${process.versions.node.split(".")[0]}`,
  format: "esm",
  outdir: bundles,
  outExtension: { ".js": ".mjs" },
  // As services/worker/Dockerfile bundles it (there for the image's Node 22, here for this Node).
  external: ["sharp", "onnxruntime-node"],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: "warning",
});
// The package's cold start, shaped like the CLI: read, remove, write, print since process start.
writeFileSync(
  join(bundles, "package-cutout.mjs"),
  `import { readFileSync, writeFileSync } from "node:fs";
import { removeBackground } from "@imgly/background-removal-node";
const [photo, out] = process.argv.slice(2);
const type = photo.endsWith(".png") ? "image/png" : "image/jpeg";
const blob = await removeBackground(new Blob([readFileSync(photo)], { type }), { model: "medium", output: { format: "image/png" } });
writeFileSync(out, Buffer.from(await blob.arrayBuffer()));
process.stdout.write(JSON.stringify({ coldStartMs: Math.round(performance.now()) }) + "\\n");
`,
);

const dir = mkdtempSync(join(tmpdir(), "bench-worker-cold-"));
await writeBenchPhotos(dir, [photo]);
const input = join(dir, photo.name);
// The image runs as an unprivileged user: the mounted folder and photo must be readable by it.
chmodSync(dir, 0o755);
chmodSync(input, 0o644);

let image = values["no-image"] ? undefined : values.image;
let imageNote = values["no-image"] ? "image rows left out (--no-image)" : "";
if (!values["no-image"] && !image) {
  const problem = await dockerEngineProblem();
  if (problem) imageNote = `image rows left out: ${problem}`;
  else {
    image = "bluemoxon-worker:bench-cold";
    console.error(`building ${image} (services/worker/Dockerfile) …`);
    const buildx = await run("docker", ["buildx", "version"], { timeoutMs: 15_000 });
    const built = await run(
      "docker",
      // Host network for npm: engines without outbound network of their own (see docs/compose.md).
      ["build", "--network", "host", "-q", "-f", "services/worker/Dockerfile", "-t", image, "."],
      { cwd: repoRoot, timeoutMs: 45 * 60_000, env: { ...process.env, ...(buildx.code === 0 ? {} : { DOCKER_BUILDKIT: "0" }) } },
    );
    if (built.code !== 0) throw new Error(`docker build failed:\n${built.stderr.slice(-3000)}`);
  }
}
const taskset = (await run("taskset", ["-c", "0", "true"])).code === 0;

interface Contender {
  id: string;
  group: "all cores" | "1 CPU";
  command: string[];
  env?: Record<string, string>;
  baseline?: boolean;
  samples: { spawnMs: number; inProcessMs: number }[];
}
const node = process.execPath;
const cutout = join(bundles, "cutout.mjs");
const pkg = join(bundles, "package-cutout.mjs");
const out = (id: string) => join(dir, `${id.replace(/[^\w]+/g, "-")}.png`);
const lambda = { AWS_LAMBDA_FUNCTION_NAME: "bench-worker-cold" };
const dockerRun = (extra: string[]) =>
  image
    ? [
        "docker",
        "run",
        "--rm",
        "-v",
        `${dir}:/photos:ro`,
        ...extra,
        "--entrypoint",
        "node",
        image,
        "/var/task/cutout.mjs",
        `/photos/${photo.name}`,
      ]
    : [];
const candidates: Omit<Contender, "samples">[] = [
  { id: "package/medium", group: "all cores", command: [node, pkg, input], baseline: true },
  { id: "engine, as on Lambda (no kept graph)", group: "all cores", command: [node, cutout, input], env: lambda },
  { id: "engine, graph kept for this CPU", group: "all cores", command: [node, cutout, input] },
  // Lambda sets AWS_LAMBDA_FUNCTION_NAME in every function's environment; the image's engine then keeps no graph.
  {
    id: "engine in the worker image (docker run)",
    group: "all cores",
    command: dockerRun(["-e", `AWS_LAMBDA_FUNCTION_NAME=${lambda.AWS_LAMBDA_FUNCTION_NAME}`]),
  },
  ...(taskset
    ? [
        { id: "package/medium, 1 CPU", group: "1 CPU" as const, command: ["taskset", "-c", "0", node, pkg, input], baseline: true },
        {
          id: "engine, 1 CPU, as on a 1769 MB Lambda",
          group: "1 CPU" as const,
          command: ["taskset", "-c", "0", node, cutout, input],
          env: { ...lambda, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1769" },
        },
      ]
    : []),
  {
    id: "engine in the worker image, 1 CPU (docker run)",
    group: "1 CPU",
    command: dockerRun([
      "--cpuset-cpus",
      "0",
      "-e",
      "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1769",
      "-e",
      `AWS_LAMBDA_FUNCTION_NAME=${lambda.AWS_LAMBDA_FUNCTION_NAME}`,
    ]),
  },
];
const contenders: Contender[] = candidates.filter((c) => c.command.length).map((c) => ({ ...c, samples: [] }));

/** Spawns one cold start; resolves when it printed its JSON line and exited 0. */
function coldStart(c: Contender): Promise<{ spawnMs: number; inProcessMs: number }> {
  const docker = c.command[0] === "docker";
  // Inside a container the output goes to its own /tmp; outside, next to the photo.
  const args = [...c.command.slice(1), docker ? "/tmp/out.png" : out(c.id)];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(c.command[0], args, { env: { ...process.env, ...c.env, NODE_NO_WARNINGS: "1" } });
    let stdout = "";
    let stderr = "";
    let spawnMs = Number.NaN;
    child.stdout.on("data", (d) => {
      stdout += d;
      if (Number.isNaN(spawnMs) && stdout.includes("\n")) spawnMs = performance.now() - started;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`${c.id} exited ${code}: ${stderr.slice(-2000)}`));
      resolve({ spawnMs, inProcessMs: JSON.parse(stdout.trim().split("\n")[0]).coldStartMs });
    });
  });
}

try {
  // One untimed start each: the prepared artefact and the kept graph exist, files are in the page cache.
  for (const c of contenders) {
    console.error(`warm-up: ${c.id}`);
    await coldStart(c);
  }
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(k + r) % contenders.length];
      console.error(`round ${r + 1}/${rounds}: ${c.id}`);
      c.samples.push(await coldStart(c));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "–");
const lines = [
  `${photo.name} (${photo.about}), ${rounds} cold starts per contender, interleaved; node ${process.version} (host), ${cores} cores${image ? `; image ${image}` : ""}. Ratios against the package on the same CPUs in this run.`,
  "",
  "| contender | CPUs | spawn → cut-out, median ms | vs package | min | max | in process, median ms | launch overhead ms |",
  "|---|---|---:|---:|---:|---:|---:|---:|",
];
for (const c of contenders) {
  const base = contenders.find((b) => b.baseline && b.group === c.group);
  const spawnMs = median(c.samples.map((s) => s.spawnMs));
  const inProcess = median(c.samples.map((s) => s.inProcessMs));
  const vs = base ? `${(spawnMs / median(base.samples.map((s) => s.spawnMs))).toFixed(2)}×` : "–";
  lines.push(
    `| ${c.id} | ${c.group} | ${fmt(spawnMs)} | ${c.baseline ? "1.00×" : vs} | ${fmt(Math.min(...c.samples.map((s) => s.spawnMs)))} | ${fmt(Math.max(...c.samples.map((s) => s.spawnMs)))} | ${fmt(inProcess)} | ${fmt(spawnMs - inProcess)} |`,
  );
}
if (imageNote) lines.push("", imageNote);
if (!taskset) lines.push("", "1-CPU host rows left out: taskset is not available");
lines.push(
  "",
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(" / ")} (1 / 5 / 15 min)`,
);
console.log(lines.join("\n"));
