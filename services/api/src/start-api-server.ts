/**
 * Runs the API on Node in-process: used by `server.ts`, `npm start`, scripts and tests.
 * Also runs the retry sweep every `RETRY_SWEEP_INTERVAL_SECONDS` (0 = never).
 */

import { errorMessage } from "@bluemoxon/core";
import { serve } from "@hono/node-server";
import { createApp } from "./app.ts";
import { type BuildApiDepsOptions, type BuiltApiDeps, buildApiDeps } from "./build-api-deps.ts";
import { runRetrySweep } from "./jobs/run-retry-sweep.ts";

export interface ApiServer {
  url: string;
  port: number;
  deps: BuiltApiDeps;
  close(): Promise<void>;
}

/**
 * @example
 * const api = await startApiServer({ env: { ...process.env, PORT: "0", API_KEY_SECRET_ID: "bluemoxon-local/api-key" } });
 * await fetch(`${api.url}/health`);
 * await api.close();
 */
export async function startApiServer(options: BuildApiDepsOptions = {}): Promise<ApiServer> {
  const deps = await buildApiDeps(options);
  const app = createApp(deps);
  const { PORT, HOST, RETRY_SWEEP_INTERVAL_SECONDS } = deps.config;
  let server: ReturnType<typeof serve>;
  const port = await new Promise<number>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port: PORT, hostname: HOST }, (info) => resolve(info.port));
    server.once("error", reject);
  });

  let sweeping: Promise<unknown> | undefined;
  const timer =
    RETRY_SWEEP_INTERVAL_SECONDS > 0
      ? setInterval(() => {
          // One sweep at a time; a slow sweep delays the next instead of overlapping it.
          sweeping ??= runRetrySweep(deps)
            .catch((error) => deps.log.warn("retry sweep failed", { error: errorMessage(error) }))
            .finally(() => {
              sweeping = undefined;
            });
        }, RETRY_SWEEP_INTERVAL_SECONDS * 1000)
      : undefined;
  timer?.unref();

  const host = HOST.includes(":") ? `[${HOST}]` : HOST;
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    port,
    deps,
    async close() {
      if (timer) clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets would hold close() open.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await sweeping;
      await deps.close();
    },
  };
}
