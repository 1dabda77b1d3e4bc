/**
 * Background-removal benchmark (`npm run bench:worker`): this engine with each model against the
 * package's own `removeBackground()` with the same model, on the same generated photos, in the
 * same run. Each engine runs in its own child process so cold start and peak RSS are its own.
 *
 * Photos: a book on varied backgrounds, 0.3–12 MP, one stored sideways with EXIF orientation 6.
 * Their true masks are known because they are generated here.
 *
 *   npm run bench:worker                       # all four engines, 2 warm rounds
 *   npm run bench:worker -- --rounds 1 --quick # smaller photos only
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { createBackgroundRemover, decodeImage, modelInputEdge } from "../services/worker/src/index.ts";
import { bookScene, encodeScene, encodeWithOrientation6, maskIoU } from "../tests/worker/book-scene.ts";

type Engine = "engine" | "package";
type Model = "small" | "medium";

interface PhotoSpec {
  name: string;
  width: number;
  height: number;
  background: "wood" | "white" | "cloth" | "dark";
  format: "jpeg" | "png" | "exif6";
}

const photoSpecs: PhotoSpec[] = [
  { name: "wood-0.3mp.jpg", width: 640, height: 480, background: "wood", format: "jpeg" },
  { name: "white-2mp.jpg", width: 1600, height: 1200, background: "white", format: "jpeg" },
  { name: "exif6-2mp.jpg", width: 1200, height: 1600, background: "cloth", format: "exif6" },
  { name: "cloth-3mp.png", width: 2000, height: 1500, background: "cloth", format: "png" },
  { name: "dark-6mp.jpg", width: 3000, height: 2000, background: "dark", format: "jpeg" },
  { name: "wood-12mp.jpg", width: 4000, height: 3000, background: "wood", format: "jpeg" },
];

interface ChildResult {
  engine: Engine;
  model: Model;
  coldStartMs: number;
  samples: { photo: string; ms: number }[];
  peakRssMb: number;
  bareRunMs?: number[];
}

const median = (xs: number[]) => quantile(xs, 0.5);

/** Peak resident set of this process in KiB: the kernel's high-water mark where there is one. */
function peakRssKb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]);
  } catch {}
  return process.resourceUsage().maxRSS;
}
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

// ---------------------------------------------------------------------------------------------
// Child: one engine, one model. Writes each photo's alpha mask next to the photos.

async function child(engine: Engine, model: Model, dir: string, rounds: number) {
  const photos = JSON.parse(readFileSync(join(dir, "photos.json"), "utf8")) as PhotoSpec[];
  const bytes = photos.map((p) => readFileSync(join(dir, p.name)));
  const outDir = join(dir, `${engine}-${model}`);
  mkdirSync(outDir, { recursive: true });
  const samples: { photo: string; ms: number }[] = [];
  let coldStartMs = 0;
  let bareRunMs: number[] | undefined;
  let peakKb = 0;

  if (engine === "engine") {
    const remover = await createBackgroundRemover({ model });
    const run = async (i: number) => {
      const t = performance.now();
      const { png } = await remover.remove(bytes[i]);
      return { ms: performance.now() - t, png };
    };
    const first = await run(0);
    coldStartMs = performance.now(); // since process start (performance.timeOrigin)
    writeFileSync(join(outDir, `${photos[0].name}.alpha`), await sharp(first.png).extractChannel(3).raw().toBuffer());
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < photos.length; i++) {
        const { ms, png } = await run(i);
        samples.push({ photo: photos[i].name, ms });
        if (r === 0 && i > 0) writeFileSync(join(outDir, `${photos[i].name}.alpha`), await sharp(png).extractChannel(3).raw().toBuffer());
      }
    }
    // The model call alone on a prepared tensor: the floor per-photo time can approach.
    const image = await decodeImage(bytes[1]);
    const small = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .resize(modelInputEdge, modelInputEdge, { fit: "fill" })
      .raw()
      .toBuffer();
    const { toPlanarTensor } = await import("../services/worker/src/index.ts");
    const tensor = toPlanarTensor(small);
    bareRunMs = [];
    for (let i = 0; i < Math.max(3, rounds * 2); i++) {
      const t = performance.now();
      await remover.runModel(tensor);
      bareRunMs.push(performance.now() - t);
    }
    peakKb = peakRssKb();
  } else {
    const { removeBackground } = await import("@imgly/background-removal-node");
    const mime = (name: string) => (name.endsWith(".png") ? "image/png" : "image/jpeg");
    const run = async (i: number) => {
      const t = performance.now();
      const blob = await removeBackground(new Blob([bytes[i]], { type: mime(photos[i].name) }), { model, output: { format: "image/png" } });
      await blob.arrayBuffer();
      return performance.now() - t;
    };
    await run(0);
    coldStartMs = performance.now();
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < photos.length; i++) samples.push({ photo: photos[i].name, ms: await run(i) });
    }
    peakKb = peakRssKb();
    // Exact masks, untimed and after the RSS reading (a second config loads a second session).
    for (let i = 0; i < photos.length; i++) {
      const blob = await removeBackground(new Blob([bytes[i]], { type: mime(photos[i].name) }), {
        model,
        output: { format: "image/x-rgba8" },
      });
      const rgba = new Uint8Array(await blob.arrayBuffer());
      const alpha = Buffer.alloc(rgba.length / 4);
      for (let j = 0; j < alpha.length; j++) alpha[j] = rgba[j * 4 + 3];
      writeFileSync(join(outDir, `${photos[i].name}.alpha`), alpha);
    }
  }
  const result: ChildResult = { engine, model, coldStartMs, samples, peakRssMb: peakKb / 1024, bareRunMs };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Parent: generate photos, run the children one at a time, print the tables.

async function generate(dir: string, specs: PhotoSpec[]) {
  for (const [i, spec] of specs.entries()) {
    const scene = await bookScene({ width: spec.width, height: spec.height, background: spec.background, seed: 100 + i });
    const bytes =
      spec.format === "exif6" ? await encodeWithOrientation6(scene) : await encodeScene(scene, spec.format === "png" ? "png" : "jpeg");
    writeFileSync(join(dir, spec.name), bytes);
    writeFileSync(join(dir, `${spec.name}.truth`), scene.mask);
  }
  writeFileSync(join(dir, "photos.json"), JSON.stringify(specs));
}

function runChild(engine: Engine, model: Model, dir: string, rounds: number): Promise<ChildResult> {
  const script = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ["--import", "tsx", script, "--child", engine, "--model", model, "--dir", dir, "--rounds", String(rounds)],
      {
        stdio: ["ignore", "pipe", "inherit"],
        // As the worker image sets it (see services/worker/Dockerfile); the same for both engines.
        env: { MALLOC_MMAP_THRESHOLD_: "131072", ...process.env, NODE_NO_WARNINGS: "1" },
      },
    );
    let out = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.on("error", reject);
    p.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (code !== 0 || !line) reject(new Error(`${engine}/${model} exited with ${code}\n${out.slice(-2000)}`));
      else resolve(JSON.parse(line.slice(7)));
    });
  });
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "–");

async function main() {
  const { values } = parseArgs({
    options: {
      child: { type: "string" },
      model: { type: "string" },
      models: { type: "string", default: "small,medium" },
      dir: { type: "string" },
      rounds: { type: "string", default: "2" },
      quick: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
    },
  });
  const rounds = Math.max(1, Number(values.rounds));
  if (values.child) {
    await child(values.child as Engine, values.model as Model, values.dir as string, rounds);
    return;
  }
  const specs = values.quick ? photoSpecs.filter((p) => p.width * p.height <= 3_000_000) : photoSpecs;
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), "bench-worker-"));
  console.error(`generating ${specs.length} photos in ${dir} …`);
  await generate(dir, specs);
  const models = values.models.split(",") as Model[];
  const results: ChildResult[] = [];
  for (const model of models) {
    for (const engine of ["engine", "package"] as Engine[]) {
      console.error(`running ${engine} (${model}) …`);
      results.push(await runChild(engine, model, dir, rounds));
    }
  }

  const alpha = (r: ChildResult, photo: string) => readFileSync(join(dir, `${r.engine}-${r.model}`, `${photo}.alpha`));
  const truth = (photo: string) => readFileSync(join(dir, `${photo}.truth`));
  const ious = (r: ChildResult) => specs.map((s) => maskIoU(alpha(r, s.name), truth(s.name)));
  const find = (engine: Engine, model: Model) => results.find((r) => r.engine === engine && r.model === model);

  const lines: string[] = [];
  lines.push(
    `Photos: ${specs.map((s) => s.name).join(", ")}; ${rounds} warm round(s); ${results[0] ? "" : ""}node ${process.version}, ${(await import("node:os")).availableParallelism()} cores.`,
    "",
    "| engine | model | warm median ms | warm p90 ms | median vs package | cold start ms | peak RSS MB | IoU truth mean (min) | IoU vs package mean (min)¹ | bare session.run ms | median / bare |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const r of results) {
    const ms = r.samples.map((s) => s.ms);
    const pkg = find("package", r.model);
    const ratio = pkg ? median(ms) / median(pkg.samples.map((s) => s.ms)) : Number.NaN;
    const t = ious(r);
    // Orientation-6 photo excluded: the package ignores EXIF, so its mask is sideways there.
    const comparable = specs.filter((s) => s.format !== "exif6");
    const vsPkg = r.engine === "engine" && pkg ? comparable.map((s) => maskIoU(alpha(r, s.name), alpha(pkg, s.name), 127)) : [];
    const bare = r.bareRunMs ? median(r.bareRunMs) : Number.NaN;
    lines.push(
      `| ${r.engine === "engine" ? "this engine" : "package removeBackground()"} | ${r.model} | ${fmt(median(ms))} | ${fmt(quantile(ms, 0.9))} | ${fmt(ratio, 2)}× | ${fmt(r.coldStartMs)} | ${fmt(r.peakRssMb)} | ${fmt(t.reduce((a, b) => a + b, 0) / t.length, 3)} (${fmt(Math.min(...t), 3)}) | ${vsPkg.length ? `${fmt(vsPkg.reduce((a, b) => a + b, 0) / vsPkg.length, 3)} (${fmt(Math.min(...vsPkg), 3)})` : "–"} | ${fmt(bare)} | ${r.bareRunMs ? `${fmt(median(ms) / bare, 2)}×` : "–"} |`,
    );
  }
  lines.push("", "¹ the orientation-6 photo is left out of this column: the package ignores EXIF, so its mask is sideways there.", "");
  lines.push(`| photo | ${results.map((r) => `${r.engine === "engine" ? "engine" : "pkg"} ${r.model} ms (IoU)`).join(" | ")} |`);
  lines.push(`|---|${results.map(() => "---:").join("|")}|`);
  for (const s of specs) {
    const cells = results.map((r) => {
      const ms = median(r.samples.filter((x) => x.photo === s.name).map((x) => x.ms));
      return `${fmt(ms)} (${fmt(maskIoU(alpha(r, s.name), truth(s.name)), 3)})`;
    });
    lines.push(`| ${s.name} | ${cells.join(" | ")} |`);
  }
  console.log(lines.join("\n"));
  if (!values.keep && !values.dir) rmSync(dir, { recursive: true, force: true });
}

await main();
