// Runs a typed deploy CLI (`main(args) → exit code`) from its .mjs shim, under zx or plain node.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { tsImport } from "tsx/esm/api";

/** `shimUrl`: the shim's import.meta.url; `module`: the .ts module, relative to this folder. */
export async function runTypedCli(shimUrl, module) {
  const shim = fileURLToPath(shimUrl);
  // Under zx, process.argv holds zx's own path before the script's; the arguments follow the shim.
  const at = process.argv.findIndex((a) => resolve(a) === shim);
  const args = process.argv.slice(at + 1);
  const { main } = await tsImport(module, import.meta.url);
  process.exit(await main(args));
}
