/**
 * Runs `python3 -m moto.server` on a free loopback port. Used by the contract suite and the
 * emulator benchmark, so both start moto the same way.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { freePort } from "./free-port.ts";

export interface MotoServer {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

export class MotoUnavailableError extends Error {
  override name = "MotoUnavailableError";
}

/** Why moto cannot run here, or undefined when `import moto.server` works. */
export function motoUnavailableReason(): string | undefined {
  const probe = spawnSync("python3", ["-c", "import moto.server"], { encoding: "utf8", timeout: 20_000 });
  if (probe.error) return `python3 cannot run (${probe.error.message})`;
  if (probe.status !== 0) return `python3 -m moto.server is not importable: ${probe.stderr.trim().split("\n").at(-1)}`;
  return undefined;
}

/**
 * Spawns moto and resolves once it answers HTTP.
 *
 * @example
 * const moto = await startMotoServer();
 * try { … moto.endpoint … } finally { await moto.stop(); }
 */
export async function startMotoServer({ timeoutMs = 30_000 } = {}): Promise<MotoServer> {
  const port = await freePort();
  const child: ChildProcess = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: "true" },
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    // Keep only the tail: moto logs every request here.
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 3_000).unref();
    });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new MotoUnavailableError(`moto exited with code ${child.exitCode}: ${stderr.trim()}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      await res.arrayBuffer();
      if (res.status < 500) return { endpoint, pid: child.pid!, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await stop();
  throw new MotoUnavailableError(`moto did not answer within ${timeoutMs} ms`);
}
