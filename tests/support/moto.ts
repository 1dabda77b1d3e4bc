/**
 * Runs moto's server (the peer AWS emulator; `moto-server.py` beside this file is `python3 -m
 * moto.server` with published Lambda versions keeping their own image, as on AWS) on a free loopback port for a test file
 * or a benchmark. Not installed → `{ ok: false, reason }` so the caller skips with that line;
 * installed but failing to start → an error, so a broken peer is never mistaken for a skip.
 *
 * @example
 * const moto = await startMoto();
 * if (!moto.ok) return console.log(`skipped: ${moto.reason}`);
 * try { … moto.endpoint … } finally { await moto.stop(); }
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.ts";

export type MotoServer = { ok: true; endpoint: string; pid: number; stop(): Promise<void> } | { ok: false; reason: string };

export class MotoStartError extends Error {
  override name = "MotoStartError";
}

let unavailable: string | null | undefined;

/** Why moto cannot run here, or undefined when `import moto.server` works (checked once per process). */
export function motoUnavailableReason(): string | undefined {
  if (unavailable === undefined) {
    const probe = spawnSync("python3", ["-c", "import moto.server"], { encoding: "utf8", timeout: 20_000 });
    unavailable = probe.error
      ? `python3 cannot run (${probe.error.message})`
      : probe.status !== 0
        ? `python3 -m moto.server is not installed: ${probe.stderr.trim().split("\n").at(-1)}`
        : null;
  }
  return unavailable ?? undefined;
}

/** `env`: extra variables for moto, e.g. `{ MOTO_IAM_LOAD_MANAGED_POLICIES: "true" }`. */
export async function startMoto({ timeoutMs = 30_000, env = {} as Record<string, string> } = {}): Promise<MotoServer> {
  const reason = motoUnavailableReason();
  if (reason) return { ok: false, reason };
  const port = await freePort();
  const child: ChildProcess = spawn(
    "python3",
    [fileURLToPath(new URL("moto-server.py", import.meta.url)), "-H", "127.0.0.1", "-p", String(port)],
    {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: "true", ...env },
    },
  );
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
    if (child.exitCode !== null) throw new MotoStartError(`moto exited with code ${child.exitCode}: ${stderr.trim()}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      await res.arrayBuffer();
      if (res.status < 500) return { ok: true, endpoint, pid: child.pid!, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await stop();
  throw new MotoStartError(`moto did not answer within ${timeoutMs} ms: ${stderr.trim()}`);
}
