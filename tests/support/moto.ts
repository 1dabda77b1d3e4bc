/**
 * Starts `python3 -m moto.server` on a free loopback port for a test file, or says why it cannot.
 *
 * @example
 * const moto = await startMoto();
 * if (!moto.ok) console.log(`skipped: ${moto.reason}`);
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";

export type MotoServer = { ok: true; endpoint: string; stop(): Promise<void> } | { ok: false; reason: string };

let available: boolean | undefined;

/** Whether `python3 -m moto.server` can be imported (checked once per process). */
export function motoAvailable(): boolean {
  available ??= spawnSync("python3", ["-c", "import moto.server"], { stdio: "ignore", timeout: 20_000 }).status === 0;
  return available;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export async function startMoto({ timeoutMs = 30_000 } = {}): Promise<MotoServer> {
  if (!motoAvailable()) return { ok: false, reason: "python3 -m moto.server is not installed" };
  const port = await freePort();
  const child: ChildProcess = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: "ignore",
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: "true" },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return { ok: false, reason: `moto exited with code ${child.exitCode}` };
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.status < 500) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (Date.now() >= deadline) {
    child.kill("SIGKILL");
    return { ok: false, reason: `moto did not answer within ${timeoutMs} ms` };
  }
  return {
    ok: true,
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3_000).unref();
      }),
  };
}
