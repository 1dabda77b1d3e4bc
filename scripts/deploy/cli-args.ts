/**
 * Strict command-line parsing for the deploy scripts: `node:util` parseArgs with `strict: true`, so
 * an unknown or misspelt flag (`--dryrun`) is a usage error (exit code 2), never silently ignored.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

export class UsageError extends Error {
  override name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses `args` against `options`; throws a UsageError naming the problem.
 * @example
 * const { values, positionals } = parseCli(["staging", "prod", "--dry-run"], { "dry-run": { type: "boolean" } });
 */
export function parseCli<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}

/** `NAME=HINT` pairs (repeatable flags such as `--require-input`) → `{ NAME: HINT }`; a bare NAME gets "set NAME". */
export function parsePairs(values: string[] | undefined): Record<string, string> {
  return Object.fromEntries(
    (values ?? []).map((v) => {
      const at = v.indexOf("=");
      return at < 0 ? [v, `set ${v}`] : [v.slice(0, at), v.slice(at + 1)];
    }),
  );
}

/**
 * Runs a CLI's body and turns the outcome into an exit code: a UsageError prints it and the usage
 * (exit 2); any other error prints its message (exit 1).
 */
export async function runCli(usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\nusage: ${usage}`);
      return 2;
    }
    console.error((error as Error).message);
    return 1;
  }
}
