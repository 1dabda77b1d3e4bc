/**
 * The removal engine in a worker thread (see thread-remover.ts): loads the remover once, then
 * answers `{ id, bytes, options }` with `{ id, png, width, height }` or `{ id, error }`. The main
 * thread terminates it when a removal outlives its budget, which stops the inference for real.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PermanentJobError } from "@bluemoxon/core";

interface ThreadData {
  /** A module exporting `createRemover(options)`; default: the background engine. */
  module?: string;
  options?: unknown;
}

type Remover = { remove(bytes: Uint8Array, options?: unknown): Promise<{ png: Buffer; width: number; height: number }> };

const data = (workerData ?? {}) as ThreadData;
const loading: Promise<Remover> = data.module
  ? import(data.module).then((m: { createRemover(o: unknown): Promise<Remover> }) => m.createRemover(data.options))
  : import("./background/background-remover.ts").then((m) => m.createBackgroundRemover(data.options as never));
// Ready once loaded, so the main thread can wait for the model before it starts a removal's clock.
loading.then(
  () => parentPort!.postMessage({ ready: true }),
  (error: unknown) =>
    parentPort!.postMessage({
      ready: false,
      error: { name: (error as Error)?.name ?? "Error", message: String((error as Error)?.message ?? error) },
    }),
);

parentPort!.on("message", async (request: { id: number; bytes: Uint8Array; options?: unknown }) => {
  try {
    const remover = await loading;
    const { png, width, height } = await remover.remove(request.bytes, request.options);
    parentPort!.postMessage({ id: request.id, png, width, height });
  } catch (error) {
    const e = error as Error;
    parentPort!.postMessage({
      id: request.id,
      error: { name: e?.name ?? "Error", message: e?.message ?? String(error), permanent: error instanceof PermanentJobError },
    });
  }
});
