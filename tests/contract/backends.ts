/**
 * The AWS backends the contract suite runs against. Each either starts and hands back an
 * endpoint, or says in one line why it cannot run on this machine.
 */
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { realImageProblem } from "../support/docker.ts";
import { startMoto } from "../support/moto.ts";

/** Pinned: the last LocalStack tag that runs without an auth token. */
export const LOCALSTACK_IMAGE = "localstack/localstack:4.14.0";

export interface StartedBackend {
  endpoint: string;
  stop(): Promise<void>;
}

export interface Backend {
  name: "emulator" | "moto" | "localstack";
  start(): Promise<StartedBackend | { skip: string }>;
}

const emulatorEntry = fileURLToPath(new URL("../../services/emulator/src/index.ts", import.meta.url));

/** The slice of the emulator's public API the suite uses (kept local so this file compiles before it lands). */
interface EmulatorModule {
  startEmulator(options: { port: number }): Promise<{ url: string; close(): Promise<void> }>;
}

const emulator: Backend = {
  name: "emulator",
  async start() {
    // Only an absent entry point is a skip; once it exists, a failure to start fails the suite.
    if (!existsSync(emulatorEntry)) return { skip: "services/emulator/src/index.ts does not exist yet" };
    const { startEmulator } = (await import(pathToFileURL(emulatorEntry).href)) as EmulatorModule;
    const started = await startEmulator({ port: 0 });
    return { endpoint: started.url.replace(/\/$/, ""), stop: () => started.close() };
  },
};

const moto: Backend = {
  name: "moto",
  async start() {
    const server = await startMoto();
    if (!server.ok) return { skip: server.reason };
    return { endpoint: server.endpoint, stop: server.stop };
  },
};

const localstack: Backend = {
  name: "localstack",
  async start() {
    // The suite measures LocalStack itself: a missing engine, an image that cannot be pulled, or a
    // local stand-in (moto under LocalStack's name, on machines without a registry) is a skip.
    const problem = await realImageProblem(LOCALSTACK_IMAGE);
    if (problem) return { skip: problem };
    const { LocalstackContainer } = await import("@testcontainers/localstack");
    const container = await new LocalstackContainer(LOCALSTACK_IMAGE).start();
    return {
      endpoint: container.getConnectionUri(),
      stop: async () => {
        await container.stop();
      },
    };
  },
};

export const backends: Backend[] = [emulator, moto, localstack];
