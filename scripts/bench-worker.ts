/**
 * Background-removal benchmark (`npm run bench:worker`): this engine against the package's own
 * `removeBackground()` (`@imgly/background-removal-node`), on the same generated photos with known
 * masks (scripts/bench-worker-photos.ts), in the same run.
 *
 * Each contender is its own child process, so its cold start (process start → first cut-out) and
 * peak RSS are its own. The children start one after another (cold starts never overlap), then the
 * warm runs are interleaved: photo 1 on every contender, photo 2 on every contender, … — so on a
 * shared, noisy machine every contender sees the same noise. Tables quote medians and ratios.
 *
 *   npm run bench:worker                              # all photos, the default contenders, 1 warm round
 *   npm run bench:worker -- --quick                   # 10 photos, the default engine vs the package default
 *   npm run bench:worker -- --hard                    # only the textured and low-contrast set
 *   npm run bench:worker -- --contenders engine/medium,engine/small,package/medium --rounds 2
 *
 * Contenders: `package/<small|medium>`, and `engine/<variant>` with a variant from `engineVariants`.
 * GB·s per photo = peak RSS (GB) × warm median (s): what a Lambda sized to the peak pays per photo.
 * Each photo's ΔE (book against surface, `sceneContrast`) is printed; a photo at ΔE ≥ 10 differs
 * visibly (`visibleContrast`) and is expected at IoU ≥ 0.95.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";
// The engine's own modules, not the worker package's index: that also loads the SQS/S3/database
// runtime, which is no part of the engine's cold start (nor of the package's).
import {
  type BackgroundRemoverOptions,
  createBackgroundRemover,
  modelInputEdge,
  toPlanarTensor,
} from "../services/worker/src/background/background-remover.ts";
import { decodeImage } from "../services/worker/src/background/decode-image.ts";
import { maskIoU } from "../tests/worker/book-scene.ts";
import { type BenchPhoto, benchPhotos, visibleContrast, writeBenchPhotos } from "./bench-worker-photos.ts";
import { median } from "./lib/stats.ts";

/** Engine configurations that can be benchmarked by name (`engine/<name>`). */
export const engineVariants: Record<string, BackgroundRemoverOptions> = {
  default: {},
  small: { model: "small" },
  "small-shipped": { model: "small", prepared: false },
  medium: { model: "medium" },
  "medium-fp16": { model: "medium", prepared: false },
  "medium-extended": { model: "medium", optimization: "extended" },
  "medium-1thread": { model: "medium", threads: 1 },
  "medium-nofill": { model: "medium", fillHoles: false },
  "medium-nohull": { model: "medium", hullFill: false },
  "medium-nogrow": { model: "medium", growByColour: false },
  // The repair before evidence: every hole and every ragged hull filled.
  "medium-blind": { model: "medium", maskRepair: "blind" },
  "medium-spin": { model: "medium", spinning: true },
  // As on Lambda: no graph optimised for this CPU kept from an earlier start.
  "medium-nocache": { model: "medium", cacheOptimized: false },
  "medium-arena": { model: "medium", memoryArena: true },
};

/** The package's default model (what its `removeBackground()` uses when not told). */
const packageDefault = "package/medium";
const defaultContenders = ["engine/default", "engine/small", "engine/medium-fp16", "package/small", "package/medium"];
const quickContenders = ["engine/default", "package/medium"];

type Message =
  | { type: "ready"; coldStartMs: number }
  | { type: "done"; ms: number; cpuMs: number; stages?: Record<string, number> }
  | { type: "peak"; peakRssMb: number };
type Command = { type: "run"; index: number } | { type: "bare" } | { type: "finish" };

/** Peak resident set of this process in KiB: the kernel's high-water mark where there is one. */
function peakRssKb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]);
  } catch {}
  return process.resourceUsage().maxRSS;
}

// ---------------------------------------------------------------------------------------------
// Child: one contender. Waits for commands; writes each photo's alpha once, untimed.

async function child(contender: string, dir: string) {
  const photos = JSON.parse(readFileSync(join(dir, "photos.json"), "utf8")) as BenchPhoto[];
  const bytes = photos.map((p) => readFileSync(join(dir, p.name)));
  const outDir = join(dir, contender.replace("/", "-"));
  mkdirSync(outDir, { recursive: true });
  const send = (m: Message) => new Promise<void>((resolve) => process.send?.(m, () => resolve()));
  const written = new Set<number>();
  const keepAlpha = async (i: number, png: Uint8Array) => {
    if (written.has(i)) return;
    written.add(i);
    writeFileSync(join(outDir, `${photos[i].name}.alpha`), await sharp(png).ensureAlpha().extractChannel(3).raw().toBuffer());
  };
  let run: (i: number) => Promise<{ ms: number; png: Uint8Array; stages?: Record<string, number> }>;
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const d = process.cpuUsage(since);
    return (d.user + d.system) / 1000;
  };
  let bare: () => Promise<number> = async () => Number.NaN;

  const [kind, name] = contender.split("/");
  if (kind === "engine") {
    const options = engineVariants[name];
    if (!options) throw new Error(`unknown engine variant ${name}`);
    const remover = await createBackgroundRemover(options);
    run = async (i) => {
      const t = performance.now();
      const { png, timings } = await remover.remove(bytes[i]);
      return { ms: performance.now() - t, png, stages: { ...timings } };
    };
    let tensor: Float32Array | undefined;
    bare = async () => {
      // The model call alone on a prepared tensor: the floor a photo's time can approach.
      if (!tensor) {
        const image = await decodeImage(bytes[0]);
        const small = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
          .resize(modelInputEdge, modelInputEdge, { fit: "fill" })
          .raw()
          .toBuffer();
        tensor = toPlanarTensor(small);
      }
      const t = performance.now();
      await remover.runModel(tensor);
      return performance.now() - t;
    };
  } else {
    const { removeBackground } = await import("@imgly/background-removal-node");
    const mime = (n: string) => (n.endsWith(".png") ? "image/png" : "image/jpeg");
    run = async (i) => {
      const t = performance.now();
      const blob = await removeBackground(new Blob([bytes[i]], { type: mime(photos[i].name) }), {
        model: name as "small" | "medium",
        output: { format: "image/png" },
      });
      const png = new Uint8Array(await blob.arrayBuffer());
      return { ms: performance.now() - t, png };
    };
  }

  const first = await run(0);
  // Since process start (performance.timeOrigin): module loading, model, session, first photo.
  const coldStartMs = performance.now();
  await keepAlpha(0, first.png);
  await send({ type: "ready", coldStartMs });
  process.on("message", async (command: Command) => {
    const cpu = process.cpuUsage();
    if (command.type === "run") {
      const { ms, png, stages } = await run(command.index);
      const used = cpuMs(cpu);
      await keepAlpha(command.index, png);
      await send({ type: "done", ms, cpuMs: used, stages });
    } else if (command.type === "bare") {
      const ms = await bare();
      await send({ type: "done", ms, cpuMs: cpuMs(cpu) });
    } else {
      await send({ type: "peak", peakRssMb: peakRssKb() / 1024 });
      process.exit(0);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Parent: generate photos, start the children one at a time, interleave the warm runs, print.

interface Contender {
  id: string;
  proc: ChildProcess;
  coldStartMs: number;
  samples: { photo: string; ms: number; cpuMs: number; stages?: Record<string, number> }[];
  bareMs: number[];
  bareCpuMs: number[];
  peakRssMb: number;
}

function nextMessage(proc: ChildProcess, id: string): Promise<Message> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Message) => {
      proc.off("exit", onExit);
      resolve(m);
    };
    const onExit = (code: number | null) => {
      proc.off("message", onMessage);
      reject(new Error(`${id} exited with ${code}`));
    };
    proc.once("message", onMessage);
    proc.once("exit", onExit);
  });
}

async function ask(c: Contender, command: Command): Promise<Message> {
  const reply = nextMessage(c.proc, c.id);
  c.proc.send(command);
  return reply;
}

async function start(id: string, dir: string): Promise<Contender> {
  const proc = fork(fileURLToPath(import.meta.url), ["--child", id, "--dir", dir], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    // As the worker image sets it (see services/worker/Dockerfile); the same for every contender.
    env: { MALLOC_MMAP_THRESHOLD_: "131072", ...process.env, NODE_NO_WARNINGS: "1" },
  });
  const ready = await nextMessage(proc, id);
  if (ready.type !== "ready") throw new Error(`${id}: expected ready, got ${ready.type}`);
  return { id, proc, coldStartMs: ready.coldStartMs, samples: [], bareMs: [], bareCpuMs: [], peakRssMb: Number.NaN };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : "–");

async function main() {
  const { values } = parseArgs({
    options: {
      child: { type: "string" },
      dir: { type: "string" },
      contenders: { type: "string" },
      photos: { type: "string" },
      rounds: { type: "string", default: "1" },
      quick: { type: "boolean", default: false },
      hard: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
    },
  });
  if (values.child) {
    await child(values.child, values.dir as string);
    return;
  }
  const rounds = Math.max(1, Number(values.rounds));
  const only = values.photos?.split(",");
  const photos = benchPhotos.filter((p) => (only ? only.includes(p.name) : (!values.quick || p.quick) && (!values.hard || p.hard)));
  const ids = values.contenders?.split(",") ?? (values.quick ? quickContenders : defaultContenders);
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), "bench-worker-"));
  console.error(`generating ${photos.length} photos in ${dir} …`);
  const contrast = await writeBenchPhotos(dir, photos);
  writeFileSync(join(dir, "photos.json"), JSON.stringify(photos));

  // As the image build does: prepared artefacts exist before any contender's cold start.
  for (const id of ids.filter((x) => x.startsWith("engine/"))) {
    const options = engineVariants[id.slice("engine/".length)];
    if (!options) throw new Error(`unknown engine variant ${id}; known: ${Object.keys(engineVariants).join(", ")}`);
    if (options.prepared !== false) await (await createBackgroundRemover({ ...options, threads: 1 })).release();
  }
  const contenders: Contender[] = [];
  try {
    for (const id of ids) {
      console.error(`starting ${id} …`);
      contenders.push(await start(id, dir));
    }
    for (let r = 0; r < rounds; r++) {
      for (const [index, photo] of photos.entries()) {
        console.error(`round ${r + 1}/${rounds}: ${photo.name}`);
        // Rotate who goes first so no contender always runs right after another's garbage.
        for (let k = 0; k < contenders.length; k++) {
          const c = contenders[(k + index + r) % contenders.length];
          const m = await ask(c, { type: "run", index });
          if (m.type === "done") c.samples.push({ photo: photo.name, ms: m.ms, cpuMs: m.cpuMs, stages: m.stages });
        }
        // A bare model call after each of the first three photos: enough for a median, bounded.
        for (const c of contenders.filter((x) => x.id.startsWith("engine/") && index < 3)) {
          const m = await ask(c, { type: "bare" });
          if (m.type === "done") {
            c.bareMs.push(m.ms);
            c.bareCpuMs.push(m.cpuMs);
          }
        }
      }
    }
    for (const c of contenders) {
      const m = await ask(c, { type: "finish" });
      if (m.type === "peak") c.peakRssMb = m.peakRssMb;
    }
  } finally {
    for (const c of contenders) if (c.proc.exitCode === null) c.proc.kill();
  }
  console.log(report(contenders, photos, dir, rounds, contrast));
  if (!values.keep && !values.dir) rmSync(dir, { recursive: true, force: true });
}

function report(contenders: Contender[], photos: BenchPhoto[], dir: string, rounds: number, contrast: Map<string, number>): string {
  const read = (file: string) => readFileSync(join(dir, file));
  // The package ignores EXIF: its cut-out is of the stored pixel grid, so it is scored against the
  // mask in that grid; the engine honours EXIF and is scored against the upright mask.
  const iou = (c: Contender, photo: BenchPhoto) =>
    maskIoU(
      read(join(c.id.replace("/", "-"), `${photo.name}.alpha`)),
      read(`${photo.name}.${c.id.startsWith("package/") ? "stored-truth" : "truth"}`),
    );
  const pkg = contenders.find((c) => c.id === packageDefault);
  const warm = (c: Contender) => median(c.samples.map((s) => s.ms));
  const warmCpu = (c: Contender) => median(c.samples.map((s) => s.cpuMs));
  const gbs = (c: Contender) => (c.peakRssMb / 1024) * (warm(c) / 1000);

  const lines: string[] = [
    `${photos.length} photos, ${rounds} warm round(s), interleaved; node ${process.version}, ${availableParallelism()} cores. Ratios are against ${packageDefault} (the package's default) in this run.`,
    "",
    "| contender | warm median ms | vs pkg default | CPU ms / photo | vs pkg default | bare session.run ms | median / bare | bare CPU ms | CPU / bare CPU | cold start ms | vs pkg default | peak RSS MB | GB·s / photo | vs pkg default | IoU min | IoU mean | photos with IoU < pkg default − 0.01 | visible (ΔE ≥ 10) photos below IoU 0.95 |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
  ];
  for (const c of contenders) {
    const scores = photos.map((p) => iou(c, p));
    const worse = pkg ? photos.filter((p) => iou(c, p) < iou(pkg, p) - 0.01).map((p) => p.name) : [];
    const missed = photos.filter((p) => (contrast.get(p.name) ?? 0) >= visibleContrast && iou(c, p) < 0.95).map((p) => p.name);
    const bare = median(c.bareMs);
    lines.push(
      `| ${c.id} | ${fmt(warm(c))} | ${pkg ? ratio(warm(c), warm(pkg)) : "–"} | ${fmt(warmCpu(c))} | ${pkg ? ratio(warmCpu(c), warmCpu(pkg)) : "–"} | ${fmt(bare)} | ${ratio(warm(c), bare)} | ${fmt(median(c.bareCpuMs))} | ${ratio(warmCpu(c), median(c.bareCpuMs))} | ${fmt(c.coldStartMs)} | ${pkg ? ratio(c.coldStartMs, pkg.coldStartMs) : "–"} | ${fmt(c.peakRssMb)} | ${fmt(gbs(c), 2)} | ${pkg ? ratio(gbs(c), gbs(pkg)) : "–"} | ${fmt(Math.min(...scores), 3)} | ${fmt(scores.reduce((a, b) => a + b, 0) / scores.length, 3)} | ${c === pkg ? "–" : worse.length ? worse.join(", ") : "none"} | ${missed.length ? missed.join(", ") : "none"} |`,
    );
  }
  lines.push(
    "",
    `| photo | what | ΔE | ${contenders.map((c) => `${c.id} IoU (ms)`).join(" | ")} |`,
    `|---|---|---:|${contenders.map(() => "---:").join("|")}|`,
  );
  for (const p of photos) {
    const cells = contenders.map((c) => {
      const ms = median(c.samples.filter((s) => s.photo === p.name).map((s) => s.ms));
      const bad = pkg && c !== pkg && iou(c, p) < iou(pkg, p) - 0.01 ? " ✗" : "";
      return `${fmt(iou(c, p), 3)}${bad} (${fmt(ms)})`;
    });
    lines.push(`| ${p.name} | ${p.about} | ${fmt(contrast.get(p.name) ?? Number.NaN, 1)} | ${cells.join(" | ")} |`);
  }
  const staged = contenders.filter((c) => c.samples.some((s) => s.stages));
  if (staged.length) {
    const names = [...new Set(staged.flatMap((c) => c.samples.flatMap((s) => Object.keys(s.stages ?? {}))))];
    lines.push(
      "",
      "Engine stages, median ms over all warm photos:",
      "",
      `| contender | ${names.join(" | ")} |`,
      `|---|${names.map(() => "---:").join("|")}|`,
    );
    for (const c of staged) {
      lines.push(`| ${c.id} | ${names.map((n) => fmt(median(c.samples.map((s) => s.stages?.[n] ?? Number.NaN)), 0)).join(" | ")} |`);
    }
  }
  lines.push("", "✗ = IoU more than 0.01 below the package default's on that photo.");
  return lines.join("\n");
}

await main();
