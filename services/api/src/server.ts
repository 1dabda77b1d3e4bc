/** Node entry: `tsx services/api/src/server.ts`. Config errors name the variable and exit 1. */
import { ConfigError, errorMessage } from "@bluemoxon/core";
import { startApiServer } from "./start-api-server.ts";

try {
  const api = await startApiServer({ env: process.env });
  console.log(`api listening ${api.url}`);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    api.deps.log.info("shutting down", { signal });
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    api.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `api failed to start: ${errorMessage(error)}`);
  process.exit(1);
}
