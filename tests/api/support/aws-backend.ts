/**
 * The AWS endpoint the API tests talk to: the embedded emulator when it starts, otherwise
 * moto (`python3 -m moto.server`); `null` with a reason when neither can run. Provisioned from
 * pipeline.json with core's `provisionPipeline`, the same way `npm start` and compose do.
 */
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type AwsClients, createAwsClients, loadManifest, type Provisioned, provisionPipeline } from "../../../packages/core/src/index.ts";
import { startMoto } from "../../support/moto.ts";

export const credentials = { accessKeyId: "test", secretAccessKey: "test" };

export interface AwsBackend {
  kind: "emulator" | "moto";
  endpoint: string;
  provisioned: Provisioned;
  /** Clients with SDK retries off, so an injected fault is seen by the code under test. */
  clients: AwsClients;
  /** Makes the next `count` SendMessage calls fail with a 500. */
  failSends(count: number): void;
  stop(): Promise<void>;
}

export const secretValues = {
  "api-key": JSON.stringify({ keys: ["test-key-current", "test-key-previous"] }),
  "ebay-credentials": JSON.stringify({ clientId: "fixture-client", clientSecret: "fixture-secret-value" }),
};

interface EmulatorLike {
  url: string;
  faults: {
    add(spec: { service: string; operation?: string; count?: number; error?: { code: string; status: number; message?: string } }): string;
  };
  close(): Promise<void>;
}

async function tryEmulator(): Promise<{ emulator: EmulatorLike } | { reason: string }> {
  const entry = fileURLToPath(new URL("../../../services/emulator/src/index.ts", import.meta.url));
  if (!existsSync(entry)) return { reason: "services/emulator/src/index.ts does not exist yet" };
  try {
    const mod = (await import(pathToFileURL(entry).href)) as { startEmulator(o: { port: number }): Promise<EmulatorLike> };
    return { emulator: await mod.startEmulator({ port: 0 }) };
  } catch (error) {
    return { reason: `emulator did not start: ${(error as Error).message}` };
  }
}

export async function startAwsBackend(): Promise<AwsBackend | { skip: string }> {
  const manifest = loadManifest();
  let endpoint: string;
  let stop: () => Promise<void>;
  let kind: AwsBackend["kind"];
  let emulator: EmulatorLike | undefined;
  // API_TESTS_BACKEND=moto forces the stand-in (to check the fallback while the emulator works).
  const tried = process.env.API_TESTS_BACKEND === "moto" ? { reason: "API_TESTS_BACKEND=moto" } : await tryEmulator();
  if ("emulator" in tried) {
    emulator = tried.emulator;
    kind = "emulator";
    endpoint = emulator.url.replace(/\/$/, "");
    stop = () => emulator!.close();
  } else {
    const moto = await startMoto();
    if (!moto.ok) return { skip: `${tried.reason}; ${moto.reason}` };
    console.log(`[tests/api] using moto (${tried.reason})`);
    kind = "moto";
    endpoint = moto.endpoint;
    stop = moto.stop;
  }
  console.log(`[tests/api] AWS backend: ${kind} at ${endpoint}`);
  const clients = createAwsClients({ region: manifest.region, endpoint, credentials, maxAttempts: 1 });
  const provisioned = await provisionPipeline({ clients, manifest, environment: "local", secretValues, overwriteSecrets: true });
  let clientFailures = 0;
  // With moto there is no fault injection: fail the SDK call in the client instead.
  clients.sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "SendMessageCommand" && clientFailures > 0) {
        clientFailures--;
        throw Object.assign(new Error("injected"), { name: "InternalError", $metadata: { httpStatusCode: 500 } });
      }
      return next(args);
    },
    { step: "initialize", name: "testFaults" },
  );
  return {
    kind,
    endpoint,
    provisioned,
    clients,
    failSends(count) {
      if (emulator)
        emulator.faults.add({
          service: "sqs",
          operation: "SendMessage",
          count,
          error: { code: "InternalError", status: 500, message: "injected" },
        });
      else clientFailures += count;
    },
    async stop() {
      clients.destroy();
      await stop();
    },
  };
}
