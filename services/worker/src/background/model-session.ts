/**
 * The model's ONNX Runtime session: which artefact is loaded (prepared fp32 or the weights as
 * shipped), the graph kept as optimised for this CPU, the threads, and the bare model call.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import { findPreparedModel, loadModelBytes, type ModelName, modelResourcesDir } from "./model-files.ts";
import { modelInputEdge } from "./tensor-layout.ts";

export interface ModelSessionOptions {
  model: ModelName;
  threads: number;
  modelDir?: string;
  prepared?: boolean;
  cacheDir?: string;
  memoryArena?: boolean;
  optimization?: "extended" | "all";
  spinning?: boolean;
  cacheOptimized?: boolean;
}

export interface ModelSession {
  /** The prepared file's path, or "package" (the weights as shipped). */
  readonly source: string;
  /** One inference on a 1×3×1024×1024 planar tensor; only `output` is fetched. */
  run(input: Float32Array): Promise<Float32Array>;
  release(): Promise<void>;
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
 * Loads the model and creates its session: sequential execution, `threads` intra-op threads that
 * do not spin unless asked, no inter-op pool.
 * @example
 * const session = await createModelSession({ model: "medium", threads: 2 });
 * const output = await session.run(toPlanarTensor(rgb1024));
 */
export async function createModelSession(options: ModelSessionOptions): Promise<ModelSession> {
  const sourceDir = modelResourcesDir(options.modelDir);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const prepared = options.prepared === false ? undefined : await preparedModel(options.model, sourceDir, cacheDir);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionMode: "sequential",
    intraOpNumThreads: options.threads,
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
      ? await createCachedSession(prepared, cacheDir, sessionOptions)
      : await ort.InferenceSession.create(prepared, sessionOptions)
    : await ort.InferenceSession.create(await loadModelBytes(options.model, sourceDir), sessionOptions);
  const inputName = session.inputNames[0] ?? "input";
  const edge = modelInputEdge;
  return {
    source: prepared ?? "package",
    async run(input) {
      const feeds = { [inputName]: new ort.Tensor("float32", input, [1, 3, edge, edge]) };
      const result = await session.run(feeds, ["output"]);
      const output = result.output;
      try {
        return output.data as Float32Array;
      } finally {
        output.dispose?.();
      }
    },
    release: () => session.release(),
  };
}
