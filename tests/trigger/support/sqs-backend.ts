/**
 * An SQS endpoint for the trigger tests: the embedded emulator once
 * `services/emulator/src/index.ts` exports `startEmulator`, otherwise moto. Set
 * `TRIGGER_TEST_BACKEND=moto|emulator` to force one. Returns a skip reason when neither can run.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface SqsBackend {
  name: "emulator" | "moto";
  endpoint: string;
  stop(): Promise<void>;
}

const emulatorEntry = fileURLToPath(new URL("../../../services/emulator/src/index.ts", import.meta.url));

/** The slice of the emulator's API these tests use, declared here so the tests compile before it lands. */
interface EmulatorModule {
  startEmulator?: (options: { port: number }) => Promise<{ url: string; close(): Promise<void> }>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startEmbedded(): Promise<SqsBackend | undefined> {
  if (!existsSync(emulatorEntry)) return undefined;
  const mod = (await import(pathToFileURL(emulatorEntry).href)) as EmulatorModule;
  if (typeof mod.startEmulator !== "function") return undefined;
  const started = await mod.startEmulator({ port: 0 });
  return { name: "emulator", endpoint: started.url.replace(/\/+$/, ""), stop: () => started.close() };
}

async function startMoto(): Promise<SqsBackend | string> {
  const probe = spawnSync("python3", ["-c", "import moto.server"], { encoding: "utf8" });
  if (probe.status !== 0) return `moto is not installed (python3 -c "import moto.server" failed: ${probe.stderr.trim().split("\n").pop()})`;
  const port = await freePort();
  const proc: ChildProcess = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.status < 500) break;
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null) return `moto exited at start (code ${proc.exitCode})`;
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      return "moto did not answer within 20 s";
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: "moto",
    endpoint,
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (proc.exitCode === null) proc.kill("SIGKILL");
    },
  };
}

export async function startSqsBackend(): Promise<SqsBackend | { skip: string }> {
  const forced = process.env.TRIGGER_TEST_BACKEND;
  if (forced !== "moto") {
    const embedded = await startEmbedded();
    if (embedded) return embedded;
    if (forced === "emulator")
      return { skip: "TRIGGER_TEST_BACKEND=emulator but services/emulator/src/index.ts does not export startEmulator yet" };
  }
  const moto = await startMoto();
  return typeof moto === "string" ? { skip: moto } : moto;
}
