/**
 * Turns the package's ISNet model into the artefact the engine loads fastest: fp32 weights and a
 * graph already optimised by ONNX Runtime, in `<out>/prepared/<model>.onnx` with a manifest.
 *
 * Why: the package's `medium` model is fp16. ONNX Runtime's CPU kernels are fp32, so at every
 * session start it inserts ~350 Cast nodes and folds the weight casts (≈1 s of a cold start),
 * and 111 casts remain on activations at run time. Converting the weights once (fp16 → fp32 is
 * exact) removes all of them; saving the graph after the hardware-independent optimisations
 * ("extended") lets a cold start skip those too. The NCHWc layout transform ("all") is left to
 * load time because it depends on the CPU (AVX2 vs AVX-512 block sizes) and the image may be
 * built on a different CPU than the one Lambda runs it on.
 *
 * Run at image build (services/worker/Dockerfile) or by hand:
 *   npx tsx services/worker/src/background/prepare-model.ts --out /opt/bg-model [--model medium]
 * The engine also prepares on first load into a cache folder when no artefact is baked in.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import {
  loadModelBytes,
  type ModelName,
  modelResourcesDir,
  modelSourceKey,
  onnxRuntimeVersion,
  type PreparedManifest,
  preparedFile,
  preparedManifestFile,
} from "./model-files.ts";

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

let halfTable: Float32Array | undefined;
/** IEEE 754 binary16 bit pattern → float32, via a 65 536-entry table (exact for every value). */
function halfToFloat(bits: Uint16Array): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const exp = (h >> 10) & 0x1f;
      const frac = h & 0x3ff;
      halfTable[h] =
        exp === 0
          ? sign * 2 ** -14 * (frac / 1024)
          : exp === 31
            ? frac
              ? Number.NaN
              : sign * Infinity
            : sign * 2 ** (exp - 15) * (1 + frac / 1024);
    }
  }
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfTable[bits[i]];
  return out;
}

function tensorToFloat(t: onnxProto.onnx.ITensorProto): void {
  if (t.dataType !== FLOAT16) return;
  let bits: Uint16Array;
  if (t.rawData && t.rawData.length > 0) {
    // Copy: rawData may be an unaligned view into the decoded buffer.
    bits = new Uint16Array(Uint8Array.from(t.rawData).buffer);
  } else {
    // fp16 values may also be stored one per int32 (the low 16 bits).
    bits = Uint16Array.from(t.int32Data ?? [], (v) => v & 0xffff);
  }
  const floats = halfToFloat(bits);
  t.dataType = FLOAT;
  t.rawData = new Uint8Array(floats.buffer);
  t.int32Data = [];
}

function typeToFloat(v: onnxProto.onnx.IValueInfoProto): void {
  const tensor = v.type?.tensorType;
  if (tensor && tensor.elemType === FLOAT16) tensor.elemType = FLOAT;
}

/**
 * Drops every graph output but `keep`, and the nodes, initializers and type annotations only they
 * needed. ISNet's five side outputs (deep supervision, used in training) are each upsampled to
 * 1024×1024; ONNX Runtime computes them on every run even when only `output` is fetched.
 */
export function pruneOutputs(model: onnxProto.onnx.IModelProto, keep: string[]): void {
  const graph = model.graph;
  if (!graph?.node || !graph.output) return;
  const missing = keep.filter((name) => !graph.output?.some((o) => o.name === name));
  if (missing.length) throw new Error(`the model has no output ${missing.join(", ")}`);
  graph.output = graph.output.filter((o) => keep.includes(o.name ?? ""));
  // Walk back from the kept outputs through each tensor's producer (the stored order is not
  // guaranteed to be topological, so no single reverse pass).
  const producer = new Map<string, onnxProto.onnx.INodeProto>();
  for (const node of graph.node) for (const name of node.output ?? []) producer.set(name, node);
  const needed = new Set<string>();
  const keptNodes = new Set<onnxProto.onnx.INodeProto>();
  const stack = [...keep];
  while (stack.length) {
    const name = stack.pop() as string;
    if (needed.has(name)) continue;
    needed.add(name);
    const node = producer.get(name);
    if (!node || keptNodes.has(node)) continue;
    keptNodes.add(node);
    for (const input of node.input ?? []) if (input) stack.push(input);
  }
  graph.node = graph.node.filter((node) => keptNodes.has(node));
  graph.initializer = (graph.initializer ?? []).filter((t) => needed.has(t.name ?? ""));
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => needed.has(v.name ?? ""));
}

/**
 * fp16 ONNX model bytes → the same graph in fp32: weights and constants widened, casts to fp16
 * turned into casts to fp32 (which ONNX Runtime then removes as no-ops), types updated; with
 * `keepOutputs`, pruned to those outputs first. A model with no fp16 tensors (the quantised
 * `small`) comes back unchanged in meaning.
 */
export function convertFp16ToFp32(bytes: Uint8Array, options: { keepOutputs?: string[]; widen?: boolean } = {}): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  if (options.keepOutputs) pruneOutputs(model, options.keepOutputs);
  const graph = model.graph;
  if (!graph) throw new Error("the model has no graph");
  if (options.widen === false) return onnx.ModelProto.encode(model).finish();
  for (const t of graph.initializer ?? []) tensorToFloat(t);
  for (const node of graph.node ?? []) {
    for (const a of node.attribute ?? []) {
      if (a.t) tensorToFloat(a.t);
      for (const t of a.tensors ?? []) tensorToFloat(t);
      if (node.opType === "Cast" && a.name === "to" && Number(a.i) === FLOAT16) a.i = FLOAT;
    }
  }
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) typeToFloat(v);
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Writes `<outDir>/prepared/<model>.onnx` and its manifest; returns the artefact's path.
 * Writes to temporary names and renames, so concurrent preparations never expose half a file.
 * @example
 * await prepareModel({ model: "medium", outDir: "/opt/bg-model" });
 */
export async function prepareModel(options: {
  model: ModelName;
  outDir: string;
  sourceDir?: string;
  /** Widen fp16 to fp32 (default true). */
  fp32?: boolean;
  /** Keep only the `output` the engine fetches (default true). */
  prune?: boolean;
}): Promise<string> {
  const { model, outDir } = options;
  const source = await loadModelBytes(model, modelResourcesDir(options.sourceDir));
  const fp32 = options.fp32 ?? true;
  const keepOutputs = options.prune === false ? undefined : ["output"];
  const converted = fp32 || keepOutputs ? convertFp16ToFp32(source, { keepOutputs, widen: fp32 }) : source;
  mkdirSync(join(outDir, "prepared"), { recursive: true });
  const suffix = `.${process.pid}.${Date.now()}.tmp`;
  const target = preparedFile(outDir, model);
  const tmpOptimised = `${target}${suffix}`;
  // ONNX Runtime writes the graph after the optimisations of the chosen level, during create().
  const session = await ort.InferenceSession.create(converted, {
    graphOptimizationLevel: "extended",
    optimizedModelFilePath: tmpOptimised,
    executionMode: "sequential",
    intraOpNumThreads: 1,
  });
  await session.release();
  const manifest: PreparedManifest = {
    model,
    source: await modelSourceKey(model, modelResourcesDir(options.sourceDir)),
    onnxruntime: onnxRuntimeVersion(),
    precision: fp32 ? "fp32" : "as-shipped",
    optimization: "extended",
  };
  try {
    renameSync(tmpOptimised, target);
    const manifestTmp = `${preparedManifestFile(outDir, model)}${suffix}`;
    writeFileSync(manifestTmp, `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(manifestTmp, preparedManifestFile(outDir, model));
  } catch (error) {
    rmSync(tmpOptimised, { force: true });
    throw error;
  }
  return target;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: { out: { type: "string" }, model: { type: "string", multiple: true }, source: { type: "string" } },
  });
  if (!values.out) {
    console.error("usage: prepare-model.ts --out DIR [--model medium] [--source DIR]");
    process.exit(2);
  }
  for (const model of (values.model ?? ["medium"]) as ModelName[]) {
    const t = performance.now();
    const file = await prepareModel({ model, outDir: values.out, sourceDir: values.source });
    console.log(`prepared ${model} → ${file} in ${Math.round(performance.now() - t)} ms`);
  }
}
