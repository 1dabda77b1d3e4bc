/**
 * The `ws://127.0.0.1:…` URL of the Node inspector listening on a loopback port, read from the
 * inspector's own `/json/list` (the URL carries a per-process id, so it is only known once the
 * process is up). Waits for the process to open the port, up to `timeoutMs`.
 *
 * @example
 * const url = await inspectorUrl(9230); // "ws://127.0.0.1:9230/0f2c…"
 */
export async function inspectorUrl(port: number, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(2_000) });
      const targets = (await res.json()) as { webSocketDebuggerUrl?: string }[];
      const url = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
      if (url) return url;
      last = "no debug target yet";
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no inspector answered on 127.0.0.1:${port} within ${timeoutMs / 1000}s (${last})`);
}
