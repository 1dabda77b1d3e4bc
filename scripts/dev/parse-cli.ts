/**
 * `node:util` parseArgs with `strict: true` for the scripts: an unknown flag or a missing value
 * prints the error and the usage on stderr and exits 2, before the script does anything.
 */
import { resolve } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";

export function parseCli<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T, usage: string) {
  try {
    const parsed = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    });
    if ((parsed.values as Record<string, unknown>).help) {
      console.log(usage);
      process.exit(0);
    }
    return parsed.values as ReturnType<typeof parseArgs<{ options: T; strict: true }>>["values"];
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

/** A flag's value as a positive integer, or the error on stderr and exit 2 (as for a bad flag). */
export function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${flag} must be a positive integer, got "${value}"`);
    process.exit(2);
  }
  return n;
}

/** The arguments after the script, whether it was run by zx, by node, or through an `.mjs` shim. */
export function scriptArgs(argv: string[], scriptPath: string): string[] {
  const at = argv.findIndex((a, i) => i > 0 && resolve(a) === scriptPath);
  return at < 0 ? argv.slice(2) : argv.slice(at + 1);
}
