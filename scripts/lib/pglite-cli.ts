/**
 * `npm start`'s embedded Postgres as a process: PGlite on a loopback port.
 * Env: PGLITE_DIR (data folder), PGLITE_PORT (0 = free). Prints `pglite ready <url>`.
 */
import { startPgliteServer } from "./pglite-server.ts";

const pg = await startPgliteServer({ dataDir: process.env.PGLITE_DIR, port: Number(process.env.PGLITE_PORT ?? 0) });
console.log(`pglite ready ${pg.url}`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  // Closing PGlite flushes its files; a kill -9 would lose only what was not yet committed.
  await pg.close();
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
