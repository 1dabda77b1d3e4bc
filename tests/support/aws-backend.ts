/**
 * The AWS endpoint an integration test talks to — the one chooser for every suite (API, trigger,
 * worker): the embedded emulator by default, or moto with `TEST_AWS_BACKEND=moto` (the code must
 * work against any AWS-compatible endpoint, and moto is the independent peer). A skip reason when
 * moto is asked for and cannot run.
 *
 * The clients have SDK retries off, so an injected fault reaches the code under test instead of
 * being retried away. `failNext` injects faults the same way on both: through the emulator's
 * fault injector, or — moto has none — in the clients before the call is sent.
 */

import { type AwsClients, createAwsClients } from "@bluemoxon/core";
import { startEmulator } from "@bluemoxon/emulator";
import { startMoto } from "./moto.ts";

export type AwsBackendKind = "emulator" | "moto";

export const testCredentials = { accessKeyId: "test", secretAccessKey: "test" };

export interface AwsBackend {
  kind: AwsBackendKind;
  /** Without a trailing slash. */
  endpoint: string;
  credentials: typeof testCredentials;
  /** SQS, S3 and Secrets Manager clients with SDK retries off. */
  clients: AwsClients;
  /** The next `count` calls of `operation` (as in the API: `SendMessage`, `GetObject`) fail with a 500. */
  failNext(service: "sqs" | "s3", operation: string, count?: number): void;
  stop(): Promise<void>;
}

/** `TEST_AWS_BACKEND`: `emulator` (default) or `moto`; anything else is a mistake worth stopping for. */
export function chosenBackend(env: NodeJS.ProcessEnv = process.env): AwsBackendKind {
  const kind = env.TEST_AWS_BACKEND?.trim() || "emulator";
  if (kind !== "emulator" && kind !== "moto") throw new Error(`TEST_AWS_BACKEND must be "emulator" or "moto", got ${JSON.stringify(kind)}`);
  return kind;
}

/**
 * @example
 * const backend = await startAwsBackend();
 * if ("skip" in backend) return ctx.skip(backend.skip);
 * backend.failNext("sqs", "SendMessage");
 */
export async function startAwsBackend({ kind = chosenBackend() }: { kind?: AwsBackendKind } = {}): Promise<AwsBackend | { skip: string }> {
  let endpoint: string;
  let stopServer: () => Promise<void>;
  let inject: ((service: "sqs" | "s3", operation: string, count: number) => void) | undefined;
  if (kind === "emulator") {
    const emulator = await startEmulator({ port: 0 });
    endpoint = emulator.url.replace(/\/+$/, "");
    stopServer = () => emulator.close();
    inject = (service, operation, count) => {
      emulator.faults.add({ service, operation, count, error: { code: "InternalError", status: 500, message: "injected" } });
    };
  } else {
    const moto = await startMoto();
    if (!moto.ok) return { skip: `TEST_AWS_BACKEND=moto: ${moto.reason}` };
    endpoint = moto.endpoint.replace(/\/+$/, "");
    stopServer = moto.stop;
  }
  const clients = createAwsClients({ region: "us-east-1", endpoint, credentials: testCredentials, maxAttempts: 1 });
  // Client-side faults (moto): the named command fails before it is sent, as a 500 would.
  const pending = new Map<string, number>();
  const clientFault =
    <Args, Out>(next: (args: Args) => Promise<Out>, context: { commandName?: string }) =>
    async (args: Args): Promise<Out> => {
      const left = pending.get(context.commandName ?? "") ?? 0;
      if (left > 0) {
        pending.set(context.commandName ?? "", left - 1);
        throw Object.assign(new Error("injected"), { name: "InternalError", $fault: "server", $metadata: { httpStatusCode: 500 } });
      }
      return next(args);
    };
  clients.sqs.middlewareStack.add(clientFault, { step: "initialize", name: "testFaults" });
  clients.s3.middlewareStack.add(clientFault, { step: "initialize", name: "testFaults" });
  return {
    kind,
    endpoint,
    credentials: testCredentials,
    clients,
    failNext(service, operation, count = 1) {
      if (inject) inject(service, operation, count);
      else pending.set(`${operation}Command`, (pending.get(`${operation}Command`) ?? 0) + count);
    },
    async stop() {
      clients.destroy();
      await stopServer();
    },
  };
}
