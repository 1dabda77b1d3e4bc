/**
 * An SQS endpoint for the trigger tests: the embedded emulator, or moto with
 * `TRIGGER_TEST_BACKEND=moto` (the trigger must work against any SQS). Returns a skip reason
 * when moto is asked for and not installed.
 */
import { startEmulator } from "../../../services/emulator/src/index.ts";
import { startMoto } from "../../support/moto.ts";

export interface SqsBackend {
  name: "emulator" | "moto";
  endpoint: string;
  stop(): Promise<void>;
}

export async function startSqsBackend(): Promise<SqsBackend | { skip: string }> {
  if (process.env.TRIGGER_TEST_BACKEND === "moto") {
    const moto = await startMoto();
    return moto.ok ? { name: "moto", endpoint: moto.endpoint, stop: moto.stop } : { skip: moto.reason };
  }
  const started = await startEmulator({ port: 0 });
  return { name: "emulator", endpoint: started.url.replace(/\/+$/, ""), stop: () => started.close() };
}
